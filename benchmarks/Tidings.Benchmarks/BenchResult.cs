using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tidings.Benchmarks;

/// <summary>One result line. Field names are the stable interface of the benchmark program.</summary>
internal sealed record BenchResult(
    [property: JsonIgnore] BenchmarkOptions Options,
    string Workload,
    int Messages,
    double MsgsPerS,
    double P50Ms,
    double P99Ms,
    double AllocBytesPerMsg,
    ConsumerReport? Consumer = null)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Transport => Options.Transport;

    public string Mode => Options.Mode;

    public bool Durable => Options.Durable;

    public int BodyBytes => Options.BodyBytes;

    public int Concurrency => Options.Concurrency;

    public int Prefetch => Options.Prefetch;

    public string ToJson() => JsonSerializer.Serialize(new
    {
        transport = Transport,
        queue_type = Options.OnRabbitMq ? Options.QueueType : null,
        store = Options.Mode == "effectively-once" ? Options.Store : null,
        workload = Workload,
        mode = Mode,
        messages = Messages,
        msgs_per_s = Math.Round(MsgsPerS, MsgsPerS < 100 ? 2 : 0),
        p50_ms = Math.Round(P50Ms, 3),
        p99_ms = Math.Round(P99Ms, 3),
        alloc_bytes_per_msg = Math.Round(AllocBytesPerMsg, 0),
        durable = Durable,
        body_bytes = BodyBytes,
        concurrency = Concurrency,
        prefetch = Prefetch,
        handler_ms = Options.HandlerMs > 0 ? Options.HandlerMs : (int?)null,
        processes = Options.Processes,
        outgoing = Options.Mode == "effectively-once" && Options.Outgoing,
        relay_lag_p50_ms = Consumer?.RelayLagP50Ms is { } lag50 ? Math.Round(lag50, 3) : (double?)null,
        relay_lag_p99_ms = Consumer?.RelayLagP99Ms is { } lag99 ? Math.Round(lag99, 3) : (double?)null,
        date = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
    }, Json);
}
