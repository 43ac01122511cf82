namespace Tidings.Transport.InMemory;

/// <summary>One queue: entries ordered by visibility then arrival, each leased by at most one receiver at a time.</summary>
internal sealed class InMemoryQueue(TimeProvider time)
{
    private readonly List<Entry> _entries = [];
    private readonly Lock _lock = new();
    private long _sequence;

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

        Signal.Set();
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

        return (leased, next);
    }

    /// <summary>Removes the entry if <paramref name="owner"/> still holds its lease.</summary>
    public bool Remove(Entry entry, object owner)
    {
        lock (_lock)
        {
            return entry.Owner == owner && _entries.Remove(entry);
        }
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
