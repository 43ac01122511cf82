namespace Tidings.Transport;

/// <summary>A message a receiver has taken from its queue and holds until it is settled.</summary>
public sealed class ReceivedMessage(Envelope envelope, int deliveryCount, object? transportState, int abandonedDeliveries = 0)
{
    /// <summary>The envelope as it arrived. Its headers may be changed before settling (retry counters, error details).</summary>
    public Envelope Envelope { get; } = envelope;

    /// <summary>How many times the transport has handed this message out, this time included.</summary>
    public int DeliveryCount { get; } = deliveryCount;

    /// <summary>
    /// How many earlier hand-outs ended without being settled: their consumer died or lost its lease while holding the
    /// message. Retries and redeliveries that were settled do not count.
    /// </summary>
    public int AbandonedDeliveries { get; } = abandonedDeliveries;

    /// <summary>What the transport needs to settle the message (a lease, a delivery tag).</summary>
    public object? TransportState { get; } = transportState;

    /// <summary>
    /// Why the transport could not turn what it holds into an envelope (an id that is no GUID, headers that are no map
    /// of strings), or null. <see cref="Envelope"/> then holds what could be read, the body always, and the pipeline
    /// dead-letters the message with reason <c>unreadable</c> and this error: nothing is lost, and nothing else waits.
    /// </summary>
    public Exception? ReadError { get; init; }
}
