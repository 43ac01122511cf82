namespace Tidings.RabbitMQ.Wire;

/// <summary>
/// Headers the transport keeps for itself on the wire: envelope fields AMQP has no property for, delivery bookkeeping
/// that survives re-publishing, and the routing of delayed messages. They never appear in <see cref="Envelope.Headers"/>.
/// </summary>
internal static class WireHeaders
{
    /// <summary>The envelope's causation id (AMQP has correlation but no causation).</summary>
    public const string CausationId = "tidings-causation-id";

    /// <summary>The envelope's sent-at in Unix milliseconds (the AMQP timestamp has whole seconds only).</summary>
    public const string SentAt = "tidings-sent-at";

    /// <summary>Deliveries of this message before this copy was published (retries re-publish a copy).</summary>
    public const string Deliveries = "tidings-deliveries";

    /// <summary>Of those, how many were abandoned: the consumer's channel closed while it held the message.</summary>
    public const string Abandoned = "tidings-abandoned";

    /// <summary>
    /// How long a delayed message still has to wait once the queue it was published to lets it go, in milliseconds: a
    /// span, not a time, so that no process's clock decides when another process's message is due.
    /// </summary>
    public const string DelayLeft = "tidings-delay-left";

    /// <summary>
    /// When a delayed message is due by its publisher's clock, in Unix milliseconds: all that earlier versions read, so
    /// still written for their forwarders during an upgrade, and read from messages they delayed.
    /// </summary>
    public const string DeliverAt = "tidings-deliver-at";

    /// <summary>Where a delayed message goes when it is due, as <c>queue:name</c> or <c>topic:name</c>.</summary>
    public const string Destination = "tidings-destination";

    /// <summary>RabbitMQ's count of returns to a quorum queue (consumer gone, or requeued).</summary>
    public const string BrokerDeliveryCount = "x-delivery-count";

    public static bool IsTransportHeader(string name) =>
        name.StartsWith("tidings-", StringComparison.Ordinal) && name is CausationId or SentAt or Deliveries or Abandoned or DelayLeft or DeliverAt or Destination;

    /// <summary>The client's own, on every confirmed publish: it matches a returned message to its confirm.</summary>
    public const string ClientSequenceNumber = "x-dotnet-pub-seq-no";

    /// <summary>Headers the broker (or the client) adds when it dead-letters, redelivers or tracks a publish; they are not the sender's.</summary>
    public static bool IsBrokerHeader(string name) =>
        name is BrokerDeliveryCount or "x-death" or ClientSequenceNumber ||
        name.StartsWith("x-first-death-", StringComparison.Ordinal) ||
        name.StartsWith("x-last-death-", StringComparison.Ordinal);
}
