using System.Collections.Concurrent;

namespace Tidings.RabbitMQ.Publishing;

/// <summary>
/// Bounds each send's wait for its publisher confirms without a timer per send (a timer and a promise per message were
/// a tenth of what a message allocated). Waits are grouped in epochs of a quarter of the timeout; an epoch whose waits
/// are not all over once the timeout has passed since it ended fails them with a <see cref="TimeoutException"/>. So a
/// confirm the broker never sends (a lost frame, a client bug) fails its send between one and one and a quarter timeouts
/// later, while sends whose confirms come are never touched.
/// </summary>
internal sealed class ConfirmWatchdog : IAsyncDisposable
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly ConcurrentQueue<Epoch> _past = new();
    private Epoch _current = new();

    public ConfirmWatchdog(TimeSpan timeout, TimeProvider time)
    {
        _timeout = timeout;
        _time = time;
        var period = timeout / 4 > TimeSpan.FromMilliseconds(10) ? timeout / 4 : TimeSpan.FromMilliseconds(10);
        _timer = time.CreateTimer(_ => NextEpoch(), null, period, period);
    }

    /// <summary>Joins the current epoch: the returned task completes if the wait outlives the timeout. Leave it with <see cref="Leave"/>.</summary>
    public Task Enter(out object epoch)
    {
        var current = Volatile.Read(ref _current);
        Interlocked.Increment(ref current.Waiting);
        epoch = current;
        return current.Expired.Task;
    }

    /// <summary>The wait that <see cref="Enter"/> began is over.</summary>
    public static void Leave(object epoch) => Interlocked.Decrement(ref ((Epoch)epoch).Waiting);

    /// <summary>Completes when <paramref name="confirms"/> does; throws <see cref="TimeoutException"/> if that takes past the timeout.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitAsync(Task confirms, CancellationToken cancellationToken)
    {
        var expired = Enter(out var epoch);
        try
        {
            var waited = cancellationToken.CanBeCanceled ? confirms.WaitAsync(cancellationToken) : confirms;
            if (!waited.IsCompleted && await Task.WhenAny(waited, expired).ConfigureAwait(false) != waited && !confirms.IsCompleted)
            {
                throw new TimeoutException($"No publisher confirm arrived within {_timeout}.");
            }

            await waited.ConfigureAwait(false);
        }
        finally
        {
            Leave(epoch);
        }
    }

    private void NextEpoch()
    {
        var ended = Interlocked.Exchange(ref _current, new Epoch());
        ended.Ended = _time.GetTimestamp();
        _past.Enqueue(ended);
        while (_past.TryPeek(out var oldest) && _time.GetElapsedTime(oldest.Ended) >= _timeout)
        {
            _past.TryDequeue(out _);
            if (Volatile.Read(ref oldest.Waiting) > 0)
            {
                oldest.Expired.TrySetResult();
            }
        }
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();

    private sealed class Epoch
    {
        public long Ended;
        public readonly TaskCompletionSource Expired = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Waiting;
    }
}
