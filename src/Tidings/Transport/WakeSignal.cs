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

    /// <summary>
    /// A ticket for the next <see cref="Set"/>. Take it <em>before</em> looking for work, then wait on it if none was
    /// found: a <see cref="Set"/> that happens in between is not missed.
    /// </summary>
    public Task Ticket => Volatile.Read(ref _next).Task;

    /// <summary>Waits until <paramref name="ticket"/> (from <see cref="Ticket"/>) is set, at most <paramref name="timeout"/>. Returns false on time-out.</summary>
    public static async Task<bool> WaitAsync(Task ticket, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var task = ticket;
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
