using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Tidings.Diagnostics;

namespace Tidings.Dashboard.Live;

/// <summary>One minute of an endpoint's messages: handled, retried, and dead-lettered.</summary>
/// <param name="Minute">The minute's start.</param>
/// <param name="Handled">Messages handled (acknowledged).</param>
/// <param name="Retried">Messages whose handling failed and was tried again.</param>
/// <param name="DeadLettered">Messages moved to the dead-letter queue.</param>
public sealed record ActivityMinute(DateTimeOffset Minute, long Handled, long Retried, long DeadLettered);

/// <summary>
/// Counts, per endpoint and minute, what this process's endpoints did with their messages over the last hour. It listens
/// to the Tidings meter's consumed-messages counter, so it costs each message one increment under a lock of its
/// endpoint, and nothing when no dashboard is registered.
/// </summary>
internal sealed class MessageActivity : IDisposable
{
    private const int Minutes = 60;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Ring> _endpoints = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public MessageActivity(TimeProvider time)
    {
        _time = time;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TidingsDiagnostics.SourceName && instrument.Name == "messaging.client.consumed.messages")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnConsumed);
        _listener.Start();
    }

    /// <summary>The last hour of <paramref name="endpoint"/>, a minute per entry, oldest first, the current minute last.</summary>
    public IReadOnlyList<ActivityMinute> Of(string endpoint)
    {
        var now = MinuteOf(_time.GetUtcNow());
        return _endpoints.TryGetValue(endpoint, out var ring) ? ring.Read(now) : Ring.Empty(now);
    }

    public void Dispose() => _listener.Dispose();

    private void OnConsumed(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? endpoint = null, outcome = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "messaging.destination.name")
            {
                endpoint = tag.Value as string;
            }
            else if (tag.Key == "tidings.outcome")
            {
                outcome = tag.Value as string;
            }
        }

        if (endpoint is not null)
        {
            _endpoints.GetOrAdd(endpoint, _ => new Ring()).Add(MinuteOf(_time.GetUtcNow()), outcome, value);
        }
    }

    private static long MinuteOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    /// <summary>An hour of minutes, each slot reused when its minute comes round again.</summary>
    private sealed class Ring
    {
        private readonly long[] _minute = new long[Minutes];
        private readonly long[] _handled = new long[Minutes];
        private readonly long[] _retried = new long[Minutes];
        private readonly long[] _deadLettered = new long[Minutes];
        private readonly Lock _lock = new();

        public void Add(long minute, string? outcome, long value)
        {
            var slot = (int)(minute % Minutes);
            lock (_lock)
            {
                if (_minute[slot] != minute)
                {
                    (_minute[slot], _handled[slot], _retried[slot], _deadLettered[slot]) = (minute, 0, 0, 0);
                }

                switch (outcome)
                {
                    case "retry": _retried[slot] += value; break;
                    case "deadletter": _deadLettered[slot] += value; break;
                    default: _handled[slot] += value; break;
                }
            }
        }

        public ActivityMinute[] Read(long now)
        {
            var minutes = new ActivityMinute[Minutes];
            lock (_lock)
            {
                for (var i = 0; i < Minutes; i++)
                {
                    var minute = now - Minutes + 1 + i;
                    var slot = (int)(minute % Minutes);
                    minutes[i] = _minute[slot] == minute
                        ? new ActivityMinute(DateTimeOffset.FromUnixTimeSeconds(minute * 60), _handled[slot], _retried[slot], _deadLettered[slot])
                        : new ActivityMinute(DateTimeOffset.FromUnixTimeSeconds(minute * 60), 0, 0, 0);
                }
            }

            return minutes;
        }

        public static IReadOnlyList<ActivityMinute> Empty(long now) =>
            [.. Enumerable.Range(0, Minutes).Select(i => new ActivityMinute(DateTimeOffset.FromUnixTimeSeconds((now - Minutes + 1 + i) * 60), 0, 0, 0))];
    }
}
