using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Tidings.Benchmarks;

/// <summary>
/// With <c>TIDINGS_BENCH_ALLOCATIONS=1</c>, samples the runtime's allocation ticks (one per ~100 KB allocated) by type
/// and prints the heaviest types to stderr at the end of a run: where the bytes per message go, without a profiler.
/// </summary>
internal sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _recording;

    public static AllocationProfile? StartIfAsked() =>
        Environment.GetEnvironmentVariable("TIDINGS_BENCH_ALLOCATIONS") == "1" ? new AllocationProfile() : null;

    public void Record() => _recording = true;

    public void Print(long messages)
    {
        var total = _bytes.Values.Sum();
        Console.Error.WriteLine($"allocation ticks: {total / Math.Max(1, messages)} B/msg sampled");
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(40))
        {
            Console.Error.WriteLine($"  {bytes / (double)Math.Max(1, messages),8:F0} B/msg  {type}");
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }

        var type = eventData.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
        var amount = eventData.PayloadNames!.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, n) => n + amount);
    }
}
