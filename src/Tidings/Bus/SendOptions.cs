namespace Tidings;

/// <summary>Optional settings for one publish or send.</summary>
public sealed class SendOptions
{
    /// <summary>Deliver no sooner than this long from now.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>Deliver no sooner than this moment. Wins over <see cref="Delay"/>.</summary>
    public DateTimeOffset? DeliverAt { get; set; }

    /// <summary>The conversation this message belongs to. Inside a handler it defaults to the incoming message's.</summary>
    public string? CorrelationId { get; set; }

    /// <summary>The message id to use, for senders that must stay idempotent across their own retries. Default a new UUIDv7.</summary>
    public Guid? MessageId { get; set; }

    /// <summary>A queue the receiver should reply to.</summary>
    public string? ReplyTo { get; set; }

    /// <summary>Extra headers.</summary>
    public IDictionary<string, string>? Headers { get; set; }
}
