using Tidings.Transport;

namespace Tidings;

/// <summary>
/// Counts the work a host has in progress (batches being handled, outbox sends and removals, relay rounds) and tells
/// what each handled message came to. Registered only by Tidings.Testing, whose harness finds quiescence with it by
/// tracking rather than by waiting for a quiet spell; in a service it is absent and every call site is a null check.
/// </summary>
internal sealed class WorkTracker
{
    private int _active;
    private long _version;

    /// <summary>Set on every change of <see cref="Active"/> or of what the host's stores hold.</summary>
    public WakeSignal Changes { get; } = new();

    /// <summary>Work begun and not yet finished.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Grows on every change: a check that read the same version before and after saw one consistent state.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Told of every handler run (plain handlers and sagas), with its failure if it threw.</summary>
    public Action<HandlerRun>? HandlerRan { get; set; }

    /// <summary>Told of every message a batch finished with: its settlement and the failure behind it.</summary>
    public Action<MessageOutcome>? Settled { get; set; }

    public void Enter()
    {
        Interlocked.Increment(ref _active);
        Touch();
    }

    public void Exit()
    {
        Interlocked.Decrement(ref _active);
        Touch();
    }

    public void Touch()
    {
        Interlocked.Increment(ref _version);
        Changes.Set();
    }
}

/// <summary>One run of a handler (or a saga) on one message.</summary>
internal sealed record HandlerRun(string Endpoint, string Handler, Envelope Envelope, object? Message, Exception? Failure);

/// <summary>How a received message left its batch: handled, back to the queue for a redelivery, or dead-lettered.</summary>
internal sealed record MessageOutcome(string Endpoint, Envelope Envelope, SettlementKind Kind, Exception? Failure);
