using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;

namespace Tidings.RabbitMQ.Publishing;

/// <summary>
/// One send's wait for its publisher confirms, bounded by a watchdog epoch's token, with nothing allocated per send
/// (<c>Task.WaitAsync(token)</c> made a promise per message). It ends when the confirms complete or the token is
/// cancelled, whichever is first. Pooled: a wait is reused only once nothing can call it again, that is when its confirms
/// came and its registration on the token was removed before it could run. A wait that gave up is dropped, since its
/// confirms may still complete later and call it.
/// </summary>
internal sealed class ConfirmWait : IValueTaskSource<bool>
{
    private readonly Action _onConfirmed;
    private ManualResetValueTaskSourceCore<bool> _core;
    private ObjectPool<ConfirmWait>? _pool;
    private CancellationTokenRegistration _expiry;
    private ConfirmWatchdog.Epoch? _epoch;
    private int _finished;

    public ConfirmWait() => _onConfirmed = () => Finish(gaveUp: false);

    /// <summary>Starts waiting for <paramref name="confirms"/>; the result is true if the epoch expired first.</summary>
    public ValueTask<bool> Start(Task confirms, ConfirmWatchdog.Epoch epoch, ObjectPool<ConfirmWait> pool)
    {
        _pool = pool;
        _epoch = epoch;
        _finished = 0;
        var version = _core.Version;
        _expiry = epoch.Expired.Token.UnsafeRegister(static state => ((ConfirmWait)state!).Finish(gaveUp: true), this);
        confirms.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onConfirmed);
        return new ValueTask<bool>(this, version);
    }

    private void Finish(bool gaveUp)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        Interlocked.Decrement(ref _epoch!.Waiting);

        // A give-up runs inside the watchdog's tick: the sender's continuation goes to the thread pool rather than run
        // there. A confirm already arrives on a thread of the client's that is free to go on.
        _core.RunContinuationsAsynchronously = gaveUp;
        _core.SetResult(gaveUp);
    }

    public bool GetResult(short token)
    {
        var gaveUp = _core.GetResult(token);
        var pool = _pool!;
        var reusable = !gaveUp && _expiry.Unregister();
        _epoch = null;
        _pool = null;
        _core.Reset();
        if (reusable)
        {
            pool.Return(this);
        }

        return gaveUp;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
