namespace Tidings;

/// <summary>
/// Tells, within this process, which saga instances this process changed, as soon as their unit of work commits: a live
/// status stream shows a change at once, without waiting for its next look at the store (which is how it sees changes
/// made by other processes). Nothing is recorded while nobody listens.
/// </summary>
public sealed class SagaChanges
{
    private readonly Lock _gate = new();
    private Action<string, string>[] _listeners = [];

    /// <summary>Whether anyone listens: a saga asks before it arranges to tell of a commit.</summary>
    internal bool HasListeners => Volatile.Read(ref _listeners).Length > 0;

    /// <summary>
    /// Calls <paramref name="changed"/> with the saga's name and the instance's correlation id after each commit that
    /// changed an instance (on the thread that committed: return quickly, and do not throw), until disposed.
    /// </summary>
    public IDisposable Subscribe(Action<string, string> changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        lock (_gate)
        {
            _listeners = [.. _listeners, changed];
        }

        return new Subscription(this, changed);
    }

    internal void Publish(string sagaName, string correlationId)
    {
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            try
            {
                listener(sagaName, correlationId);
            }
            catch (Exception)
            {
                // The change has committed; a listener's failure must not fail the unit of work after the fact. A
                // stream still sees the change at its next look at the store.
            }
        }
    }

    private void Remove(Action<string, string> changed)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(l => l != changed)];
        }
    }

    private sealed class Subscription(SagaChanges owner, Action<string, string> changed) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(changed);
            }
        }
    }
}
