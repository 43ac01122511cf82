namespace Tidings.Stores;

/// <summary>
/// How long a parked outbox message waits before the relay tries it again: <see cref="FirstDelay"/> after its first
/// refusal, doubling with each further one, never more than <see cref="MaxDelay"/>. A store computes the delay per
/// message from the message's own attempt count, so a message refused a hundred times does not hold back one refused once.
/// </summary>
/// <param name="FirstDelay">The wait after the first refusal.</param>
/// <param name="MaxDelay">The longest wait: a parked message goes out at most this long after its queue appears.</param>
public readonly record struct OutboxBackoff(TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>The wait after a message's <paramref name="attempts"/>-th refusal (1 for the first).</summary>
    public TimeSpan DelayAfter(int attempts)
    {
        var doublings = Math.Clamp(attempts - 1, 0, 30);
        var delay = FirstDelay.TotalMilliseconds * Math.Pow(2, doublings);
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxDelay.TotalMilliseconds));
    }
}

/// <summary>The outbox messages parked because the transport refused them, as a store counts them.</summary>
/// <param name="Count">How many messages are parked.</param>
/// <param name="OldestSentAt">When the oldest parked message was staged; null when none is parked.</param>
public readonly record struct ParkedMessages(long Count, DateTimeOffset? OldestSentAt)
{
    /// <summary>None parked.</summary>
    public static ParkedMessages None => default;

    /// <summary>How long the oldest parked message has waited, seen at <paramref name="now"/>.</summary>
    public TimeSpan OldestAge(DateTimeOffset now) => OldestSentAt is { } sentAt && now > sentAt ? now - sentAt : TimeSpan.Zero;
}

/// <summary>Every message waiting in the outbox (parked or not), as a store counts them: a health check's measure of how far sending lags.</summary>
/// <param name="Count">How many messages wait.</param>
/// <param name="OldestSentAt">When the oldest of them was staged; null when none waits.</param>
public readonly record struct OutboxBacklog(long Count, DateTimeOffset? OldestSentAt)
{
    /// <summary>How long the oldest message has waited, seen at <paramref name="now"/>.</summary>
    public TimeSpan OldestAge(DateTimeOffset now) => OldestSentAt is { } sentAt && now > sentAt ? now - sentAt : TimeSpan.Zero;
}
