namespace Tidings.Transport;

/// <summary>
/// Wakes every waiter at once when something changed (new messages, a commit).
/// For transport and store authors: cheaper and simpler than a semaphore when waiters re-check state anyway.
/// </summary>
public sealed class WakeSignal
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Wakes everyone currently waiting.</summary>
    public void Set() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    /// <summary>Waits for the next <see cref="Set"/>, at most <paramref name="timeout"/>. Returns false on time-out.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var task = Volatile.Read(ref _next).Task;
        if (timeout <= TimeSpan.Zero)
        {
            return task.IsCompleted;
        }

        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
