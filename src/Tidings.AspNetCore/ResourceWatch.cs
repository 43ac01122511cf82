namespace Tidings.AspNetCore;

/// <summary>
/// One resource as its live streams see it: read once per change, whoever asked (a poll that saw its stamp move, or
/// this process's commit), and the reading shared by every stream of it. Streams wait on <see cref="Changed"/>.
/// </summary>
internal sealed class ResourceWatch(string id, Func<ResourceWatch, Task> read)
{
    private const int Idle = 0, Reading = 1, ReadingAgain = 2;

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public string Id { get; } = id;

    /// <summary>How many streams watch it (the hub's to count, under its lock).</summary>
    public int Streams { get; set; }

    /// <summary>The stamp the last poll saw; null until one has, or when the resource is gone.</summary>
    public long? Stamp { get; set; }

    public bool StampSeen { get; set; }

    /// <summary>The last reading and the last read's failure, together: read once, they never disagree.</summary>
    public ResourceReading Current => Volatile.Read(ref _current);

    /// <summary>The last reading: null if the resource does not exist (yet, or any more).</summary>
    public ResourceHistory? Latest => Current.Latest;

    /// <summary>Why the last read failed; null once one succeeds.</summary>
    public Exception? Failure => Current.Failure;

    /// <summary>When the failing reads may be tried again (they back off, up to a few seconds).</summary>
    public long RetryAt { get; private set; }

    private ResourceReading _current = new(null, null);
    private int _failures;

    /// <summary>Completes at the next new reading.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Completes once the resource was read once, or its first read failed.</summary>
    public Task Loaded => _loaded?.Task ?? Task.CompletedTask;

    /// <summary>Reads the resource again soon: at once if no reading is under way, else right after the one that is.</summary>
    public void Refresh()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == ReadingAgain)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                if (state == Idle)
                {
                    _ = Task.Run(ReadUntilCurrentAsync);
                }

                return;
            }
        }
    }

    public void Publish(ResourceHistory? latest)
    {
        Volatile.Write(ref _current, new ResourceReading(latest, null));
        _failures = 0;
        Interlocked.Exchange(ref _loaded, null)?.TrySetResult();
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>The read failed: its streams keep what they have, and a stream still waiting for the first reading is told.</summary>
    public void Fail(Exception failure, TimeProvider time, TimeSpan firstRetry)
    {
        Volatile.Write(ref _current, Current with { Failure = failure });
        var backoff = TimeSpan.FromTicks(Math.Min(firstRetry.Ticks << Math.Min(_failures++, 6), TimeSpan.FromSeconds(5).Ticks));
        RetryAt = time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency);
        Interlocked.Exchange(ref _loaded, null)?.TrySetResult();
    }

    private async Task ReadUntilCurrentAsync()
    {
        while (true)
        {
            // A request from here on asks for another reading after this one.
            Volatile.Write(ref _state, Reading);
            await read(this).ConfigureAwait(false);
            if (Interlocked.CompareExchange(ref _state, Idle, Reading) == Reading)
            {
                return;
            }
        }
    }
}

/// <summary>A watch's last reading (null: no such resource) and, if the last read failed, why.</summary>
internal sealed record ResourceReading(ResourceHistory? Latest, Exception? Failure);
