namespace Tidings;

/// <summary>What an endpoint promises about how often each message's effects happen.</summary>
public enum DeliveryMode
{
    /// <summary>Acknowledged on receipt, before the handler runs: a crash loses the message. Fastest.</summary>
    AtMostOnce,

    /// <summary>Acknowledged after the handler succeeds: a crash redelivers, so handlers must tolerate duplicates. The default.</summary>
    AtLeastOnce,

    /// <summary>
    /// Inbox and outbox commit in one transaction with the handler's data, in the service's own database:
    /// side effects in that database happen once, and outgoing messages leave if and only if it committed.
    /// Needs a store (e.g. <c>UseSqliteStore</c>).
    /// </summary>
    EffectivelyOnce,
}
