namespace Tidings.Transport.InMemory;

/// <summary>What the test harness (Tidings.Testing) reads to know when the system under test has nothing left to do.</summary>
public sealed partial class InMemoryTransport
{
    private long _version;

    /// <summary>Set on every change of any queue: a message arrived, was taken, settled or returned.</summary>
    internal WakeSignal Changes { get; } = new();

    /// <summary>Grows on every change of any queue.</summary>
    internal long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// Creates a queue a message is sent to if it does not exist yet, so that a test of one service can send to the
    /// queues of services it does not run, and see what it sent. Off for a transport standing in for a broker.
    /// </summary>
    internal bool CreatesQueuesOnSend { get; set; }

    /// <summary>Told of every batch of messages the transport took.</summary>
    internal Action<IReadOnlyList<OutgoingMessage>>? Accepted { get; set; }

    /// <summary>
    /// Messages being handled or waiting to be, in the queues someone receives from (the others are where messages leave
    /// the system under test), with the busiest queue; and when the next delayed message becomes visible.
    /// </summary>
    internal (int Busy, string? BusiestQueue, DateTimeOffset? NextVisible) MeasureWork()
    {
        List<(string Name, InMemoryQueue Queue)> received;
        lock (_lock)
        {
            received = _queues.Where(q => q.Value.Receivers > 0).Select(q => (q.Key, q.Value)).ToList();
        }

        var (busy, busiest, most) = (0, (string?)null, 0);
        DateTimeOffset? next = null;
        foreach (var (name, queue) in received)
        {
            var (count, visible) = queue.MeasureWork();
            busy += count;
            if (count > most)
            {
                (busiest, most) = (name, count);
            }

            if (visible is { } at && (next is null || at < next))
            {
                next = at;
            }
        }

        return (busy, busiest, next);
    }

    /// <summary>Wakes every receiver to look again (after a test moved the clock, delayed messages may be visible).</summary>
    internal void WakeReceivers()
    {
        List<InMemoryQueue> queues;
        lock (_lock)
        {
            queues = [.. _queues.Values];
        }

        foreach (var queue in queues)
        {
            queue.Signal.Set();
        }
    }

    private void Touch()
    {
        Interlocked.Increment(ref _version);
        Changes.Set();
    }

    /// <summary>
    /// One queue as a receiver would find it now: messages it could take (lease run out included), and when the next
    /// one becomes takeable (a delayed message, or a lease that runs out). For a caller that drives receivers itself.
    /// </summary>
    internal (int Takeable, DateTimeOffset? Next) Peek(string queue)
    {
        InMemoryQueue? found;
        lock (_lock)
        {
            _queues.TryGetValue(queue, out found);
        }

        return found?.Peek() ?? (0, null);
    }

    /// <summary>The envelopes in <paramref name="queue"/> now, leased ones included, in arrival order.</summary>
    internal IReadOnlyList<Envelope> Snapshot(string queue)
    {
        InMemoryQueue? found;
        lock (_lock)
        {
            _queues.TryGetValue(queue, out found);
        }

        return found?.Snapshot().Select(e => e.Envelope).ToList() ?? [];
    }

    /// <summary>The dead letters of <paramref name="queue"/>, in arrival order.</summary>
    internal IReadOnlyList<(long Sequence, Envelope Envelope)> DeadLetterSnapshot(string queue)
    {
        InMemoryQueue? found;
        lock (_lock)
        {
            _queues.TryGetValue(DeadLetterQueues.For(queue), out found);
        }

        return found?.Snapshot() ?? [];
    }
}
