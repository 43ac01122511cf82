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
    ConsumerReport? Consumer = null,
    GcDuring? Gc = null)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Latency runs: how late the sender woke for a send, at the 99th percentile (a stall of the machine).</summary>
    public double? SendLateP99Ms { get; init; }

    /// <summary>Latency runs: how long a send call took before it returned, at the 99th percentile.</summary>
    public double? SendCallP99Ms { get; init; }

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
        store = Options.Mode == "effectively-once" || Workload == "saga" ? Options.Store : null,
        workload = Workload,
        mode = Workload == "saga" ? "effectively-once" : Mode,
        messages = Messages,
        msgs_per_s = Math.Round(MsgsPerS, MsgsPerS < 100 ? 2 : 0),
        p50_ms = Math.Round(P50Ms, 3),
        p99_ms = Math.Round(P99Ms, 3),
        p90_ms = Consumer?.P90Ms is { } p90 ? Math.Round(p90, 3) : (double?)null,
        p999_ms = Consumer?.P999Ms is { } p999 ? Math.Round(p999, 3) : (double?)null,
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
        send_late_p99_ms = SendLateP99Ms is { } sendLate ? Math.Round(sendLate, 3) : (double?)null,
        send_call_p99_ms = SendCallP99Ms is { } sendCall ? Math.Round(sendCall, 3) : (double?)null,
        gen0_gcs = Gc?.Gen0,
        gc_pause_ms = Gc is { } gc ? Math.Round(gc.PauseMs, 1) : (double?)null,
        date = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
    }, Json);
}

/// <summary>
/// The garbage collections of the process during a measured run, and the time they paused it: how much of a latency
/// tail the collector can explain. A consumer in a child process is not counted.
/// </summary>
internal sealed record GcDuring(int Gen0, double PauseMs)
{
    public static Func<GcDuring> Start()
    {
        var gen0 = GC.CollectionCount(0);
        var pause = GC.GetTotalPauseDuration();
        return () => new GcDuring(GC.CollectionCount(0) - gen0, (GC.GetTotalPauseDuration() - pause).TotalMilliseconds);
    }
}
