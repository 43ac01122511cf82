namespace Tidings.Transport.InMemory;

/// <summary>One queue: entries ordered by visibility then arrival, each leased by at most one receiver at a time.</summary>
/// <remarks><paramref name="changed"/> is told of every change (for the test harness's quiescence).</remarks>
internal sealed class InMemoryQueue(TimeProvider time, Action? changed = null)
{
    private readonly List<Entry> _entries = [];
    private readonly Lock _lock = new();
    private long _sequence;
    private int _receivers;

    public WakeSignal Signal { get; } = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public void Enqueue(Envelope envelope, DateTimeOffset visibleAt, int deliveries = 0)
    {
        lock (_lock)
        {
            _entries.Add(new Entry(++_sequence, envelope) { VisibleAt = visibleAt, Deliveries = deliveries });
        }

        changed?.Invoke();
        Signal.Set();
    }

    /// <summary>Receivers attached to this queue now; a queue with none is where messages leave the system under test.</summary>
    public int Receivers => Volatile.Read(ref _receivers);

    public void Attach() => Interlocked.Increment(ref _receivers);

    public void Detach() => Interlocked.Decrement(ref _receivers);

    /// <summary>Entries a receiver could lease now, and when the next one (delayed, or leased) becomes takeable.</summary>
    public (int Takeable, DateTimeOffset? Next) Peek()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var takeable = 0;
            DateTimeOffset? next = null;
            foreach (var entry in _entries)
            {
                if (entry.VisibleAt <= now)
                {
                    takeable++;
                }
                else if (next is null || entry.VisibleAt < next)
                {
                    next = entry.VisibleAt;
                }
            }

            return (takeable, next);
        }
    }

    /// <summary>Entries being handled or visible now (work to do), and when the next delayed one becomes visible.</summary>
    public (int Busy, DateTimeOffset? NextVisible) MeasureWork()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var busy = 0;
            DateTimeOffset? next = null;
            foreach (var entry in _entries)
            {
                if (entry.Owner is not null || entry.VisibleAt <= now)
                {
                    busy++;
                }
                else if (next is null || entry.VisibleAt < next)
                {
                    next = entry.VisibleAt;
                }
            }

            return (busy, next);
        }
    }

    /// <summary>Leases up to <paramref name="max"/> visible entries; returns also when the next one becomes visible.</summary>
    public (List<Entry> Leased, DateTimeOffset? NextVisible) Lease(int max, object owner, TimeSpan leaseDuration)
    {
        var now = time.GetUtcNow();
        var leased = new List<Entry>();
        DateTimeOffset? next = null;
        lock (_lock)
        {
            foreach (var entry in _entries.OrderBy(e => e.VisibleAt).ThenBy(e => e.Sequence))
            {
                if (entry.VisibleAt > now)
                {
                    next = entry.VisibleAt;
                    break;
                }

                if (leased.Count == max)
                {
                    break;
                }

                if (entry.Owner is not null)
                {
                    // Its last holder neither settled it nor renewed the lease.
                    entry.Abandoned++;
                }

                entry.Owner = owner;
                entry.VisibleAt = now + leaseDuration;
                entry.Deliveries++;
                leased.Add(entry);
            }
        }

        if (leased.Count > 0)
        {
            changed?.Invoke();
        }

        return (leased, next);
    }

    /// <summary>Removes the entry if <paramref name="owner"/> still holds its lease.</summary>
    public bool Remove(Entry entry, object owner)
    {
        bool removed;
        lock (_lock)
        {
            removed = entry.Owner == owner && _entries.Remove(entry);
        }

        changed?.Invoke();
        return removed;
    }

    /// <summary>Makes the entry visible again at <paramref name="visibleAt"/> if <paramref name="owner"/> still holds its lease.</summary>
    public void Return(Entry entry, object owner, DateTimeOffset visibleAt)
    {
        lock (_lock)
        {
            if (entry.Owner != owner)
            {
                return;
            }

            entry.Owner = null;
            entry.VisibleAt = visibleAt;
        }

        changed?.Invoke();
        Signal.Set();
    }

    /// <summary>How many entries a receiver could take now, how many are leased, and when the oldest takeable one was sent (delayed ones are neither).</summary>
    public (long Waiting, long Leased, DateTimeOffset? OldestSentAt) Measure()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var waiting = _entries.Where(e => e.VisibleAt <= now).ToList();
            var leased = _entries.Count(e => e.Owner is not null && e.VisibleAt > now);
            return (waiting.Count, leased, waiting.Count == 0 ? null : waiting.Min(e => e.Envelope.SentAt));
        }
    }

    /// <summary>The entries as they are now, in arrival order.</summary>
    public List<(long Sequence, Envelope Envelope)> Snapshot()
    {
        lock (_lock)
        {
            return _entries.OrderBy(e => e.Sequence).Select(e => (e.Sequence, e.Envelope)).ToList();
        }
    }

    /// <summary>Takes the entry <paramref name="sequence"/> out, leased or not; null if it is gone.</summary>
    public Envelope? TryTake(long sequence)
    {
        lock (_lock)
        {
            var index = _entries.FindIndex(e => e.Sequence == sequence);
            if (index < 0)
            {
                return null;
            }

            var envelope = _entries[index].Envelope;
            _entries.RemoveAt(index);
            changed?.Invoke();
            return envelope;
        }
    }

    public void Renew(Entry entry, object owner, DateTimeOffset visibleUntil)
    {
        lock (_lock)
        {
            if (entry.Owner == owner)
            {
                entry.VisibleAt = visibleUntil;
            }
        }
    }

    internal sealed class Entry(long sequence, Envelope envelope)
    {
        public long Sequence { get; } = sequence;
        public Envelope Envelope { get; } = envelope;
        public DateTimeOffset VisibleAt { get; set; }
        public int Deliveries { get; set; }
        public int Abandoned { get; set; }
        public object? Owner { get; set; }
    }
}
