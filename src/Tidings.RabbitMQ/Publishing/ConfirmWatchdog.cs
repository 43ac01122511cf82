using Microsoft.Extensions.ObjectPool;

namespace Tidings.RabbitMQ.Publishing;

/// <summary>
/// Bounds each send's wait for its publisher confirms without a timer per send (a timer and a promise per message were
/// a tenth of what a message allocated). Waits are grouped in epochs of a quarter of the timeout, each with a token; an
/// epoch whose waits are not all over once the timeout has passed since it ended is cancelled, and its waits fail. So a
/// confirm the broker never sends (a lost frame, a client bug) fails its send between one and about one and a half
/// timeouts later (the timer's ticks are not exact), while sends whose confirms come are never touched. A wait registers
/// on its epoch's token (per-core, removed in constant time, its node reused) rather than on a shared task, and the wait
/// itself (<see cref="ConfirmWait"/>) is pooled.
/// </summary>
internal sealed class ConfirmWatchdog : IAsyncDisposable
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Lock _ticking = new();
    private readonly Queue<Epoch> _past = new();
    private readonly ObjectPool<ConfirmWait> _waits = new DefaultObjectPool<ConfirmWait>(new DefaultPooledObjectPolicy<ConfirmWait>(), 1024);
    private Epoch _current = new();
    private bool _disposed;

    public ConfirmWatchdog(TimeSpan timeout, TimeProvider time)
    {
        _timeout = timeout;
        _time = time;
        var period = timeout / 4 > TimeSpan.FromMilliseconds(10) ? timeout / 4 : TimeSpan.FromMilliseconds(10);
        _timer = time.CreateTimer(_ => NextEpoch(), null, period, period);
    }

    /// <summary>
    /// Waits for <paramref name="confirms"/> in the current epoch; true if the watchdog gave up on them first (they did
    /// not complete within about the timeout, or the publisher closed).
    /// </summary>
    public ValueTask<bool> WaitAsync(Task confirms)
    {
        var current = Volatile.Read(ref _current);
        Interlocked.Increment(ref current.Waiting);
        return _waits.Get().Start(confirms, current, _waits);
    }

    private void NextEpoch()
    {
        // Ticks may overlap when the thread pool is starved (just when confirms run late): one at a time.
        lock (_ticking)
        {
            if (_disposed)
            {
                return;
            }

            var ended = Interlocked.Exchange(ref _current, new Epoch());
            ended.Ended = _time.GetTimestamp();
            _past.Enqueue(ended);
            while (_past.TryPeek(out var oldest) && _time.GetElapsedTime(oldest.Ended) >= _timeout)
            {
                _past.Dequeue();
                Expire(oldest);
            }
        }
    }

    private static void Expire(Epoch epoch)
    {
        if (Volatile.Read(ref epoch.Waiting) > 0)
        {
            epoch.Expired.Cancel();
        }
    }

    /// <summary>Stops the timer; waits still pending fail rather than hang.</summary>
    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        lock (_ticking)
        {
            _disposed = true;
            foreach (var epoch in _past.Append(_current))
            {
                epoch.Expired.Cancel();
            }

            _past.Clear();
        }
    }

    // Its token source has no timer and no wait handle, so it holds nothing to dispose; not disposing it also means a
    // wait that reads an old epoch's token can never meet a disposed source.
#pragma warning disable CA1001
    internal sealed class Epoch
#pragma warning restore CA1001
    {
        public long Ended;
        public readonly CancellationTokenSource Expired = new();
        public int Waiting;
    }
}
