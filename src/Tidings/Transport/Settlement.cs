namespace Tidings.Transport;

/// <summary>What happens to a received message once its handling is over.</summary>
public readonly record struct Settlement(ReceivedMessage Message, SettlementKind Kind, TimeSpan Delay = default)
{
    /// <summary>Handled: remove it from the queue.</summary>
    public static Settlement Ack(ReceivedMessage message) => new(message, SettlementKind.Ack);

    /// <summary>Put it back, visible again after <paramref name="delay"/>, with its (possibly updated) headers.</summary>
    public static Settlement Retry(ReceivedMessage message, TimeSpan delay) => new(message, SettlementKind.Retry, delay);

    /// <summary>Move it to the endpoint's dead-letter queue, with its headers (which carry the reason).</summary>
    public static Settlement DeadLetter(ReceivedMessage message) => new(message, SettlementKind.DeadLetter);
}

/// <summary>The kind of a <see cref="Settlement"/>.</summary>
public enum SettlementKind
{
    /// <summary>Remove from the queue.</summary>
    Ack,
    /// <summary>Return to the queue, possibly delayed.</summary>
    Retry,
    /// <summary>Move to the dead-letter queue.</summary>
    DeadLetter,
}
