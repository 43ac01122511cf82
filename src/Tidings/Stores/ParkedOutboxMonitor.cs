using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tidings.Diagnostics;

namespace Tidings.Stores;

/// <summary>
/// What the relay last counted of the parked outbox messages: read by the <c>tidings.outbox.parked</c> and
/// <c>tidings.outbox.parked.oldest_age</c> gauges (and a health check), and logged as one summary line at most once per
/// <see cref="SummaryInterval"/> while any message is parked, rather than a line per message per pass.
/// </summary>
internal sealed partial class ParkedOutboxMonitor : IDisposable
{
    private static readonly ConcurrentDictionary<ParkedOutboxMonitor, byte> Live = new();
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private DateTimeOffset _lastSummary = DateTimeOffset.MinValue;
    // A reference swapped whole: the gauges read it from another thread, and a struct of two fields could tear.
    private Tuple<ParkedMessages> _parked = new(ParkedMessages.None);

    public ParkedOutboxMonitor(TimeProvider time, ILogger<ParkedOutboxMonitor> logger)
    {
        _time = time;
        _logger = logger;
        Live[this] = 0;
    }

    /// <summary>The latest count.</summary>
    public ParkedMessages Parked => Volatile.Read(ref _parked).Item1;

    /// <summary>The parked messages of every relay in this process (one per host), for the gauges.</summary>
    internal static (long Count, double OldestAgeSeconds) Observe()
    {
        var (count, oldest) = (0L, 0.0);
        foreach (var monitor in Live.Keys)
        {
            var parked = monitor.Parked;
            count += parked.Count;
            oldest = Math.Max(oldest, parked.OldestAge(monitor._time.GetUtcNow()).TotalSeconds);
        }

        return (count, oldest);
    }

    /// <summary>Takes a new count from the store; logs a summary when it is due, and once when the last parked message left.</summary>
    public void Update(ParkedMessages parked)
    {
        var before = Parked;
        Volatile.Write(ref _parked, new Tuple<ParkedMessages>(parked));
        var now = _time.GetUtcNow();
        if (parked.Count == 0)
        {
            if (before.Count > 0)
            {
                LogNoneParked(_logger);
                _lastSummary = DateTimeOffset.MinValue;
            }

            return;
        }

        if (now - _lastSummary >= SummaryInterval)
        {
            _lastSummary = now;
            LogParked(_logger, parked.Count, parked.OldestAge(now));
        }
    }

    public void Dispose() => Live.TryRemove(this, out _);

    [LoggerMessage(LogLevel.Warning,
        "The outbox holds {Count} parked message(s) that no queue receives yet; the oldest has waited {OldestAge}. They are sent once their queue is declared.")]
    private static partial void LogParked(ILogger logger, long count, TimeSpan oldestAge);

    [LoggerMessage(LogLevel.Information, "No parked messages are left in the outbox.")]
    private static partial void LogNoneParked(ILogger logger);
}
