namespace Tidings;

/// <summary>
/// How failed messages are retried: a few immediate attempts, then delayed redeliveries with exponential
/// backoff and jitter (the message goes back to the queue, so it never blocks the others), then the dead-letter queue.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>The defaults: 2 immediate retries, 3 delayed redeliveries from 1 s, capped at 5 min, 20 % jitter.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>No retries at all: the first failure dead-letters.</summary>
    public static RetryPolicy None { get; } = new() { ImmediateRetries = 0, DelayedRedeliveries = 0 };

    /// <summary>Extra attempts right away, in the same delivery.</summary>
    public int ImmediateRetries { get; init; } = 2;

    /// <summary>How many times the message goes back to the queue with a delay before it is dead-lettered.</summary>
    public int DelayedRedeliveries { get; init; } = 3;

    /// <summary>The first redelivery delay; each next one doubles.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest redelivery delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Random spread around each delay, as a fraction (0.2 = ±20 %), so retries of many messages do not align.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>
    /// A message whose consumers died (or lost their lease) while holding it this many times is dead-lettered: it
    /// may be what kills them. Settled retries do not count. Default 10.
    /// </summary>
    public int MaxAbandonedDeliveries { get; init; } = 10;

    /// <summary>The delay before redelivery number <paramref name="redelivery"/> (0-based).</summary>
    public TimeSpan DelayFor(int redelivery)
    {
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(redelivery, 30));
        var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
        var spread = capped * Jitter * ((Random.Shared.NextDouble() * 2) - 1);
        return TimeSpan.FromMilliseconds(Math.Max(0, capped + spread));
    }
}
