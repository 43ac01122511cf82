namespace Tidings.Transport;

/// <summary>A message a receiver has taken from its queue and holds until it is settled.</summary>
public sealed class ReceivedMessage(Envelope envelope, int deliveryCount, object? transportState)
{
    /// <summary>The envelope as it arrived. Its headers may be changed before settling (retry counters, error details).</summary>
    public Envelope Envelope { get; } = envelope;

    /// <summary>How many times the transport has handed this message out, this time included.</summary>
    public int DeliveryCount { get; } = deliveryCount;

    /// <summary>What the transport needs to settle the message (a lease, a delivery tag).</summary>
    public object? TransportState { get; } = transportState;
}
