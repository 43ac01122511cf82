using System.Data.Common;

namespace Tidings;

/// <summary>
/// What a handler knows about the message it handles, and how it sends more. Messages published, sent or
/// replied here join the handler's unit of work: they leave only if the handler succeeds
/// (and, in effectively-once mode, only if its transaction commits).
/// </summary>
public interface IMessageContext : IMessageSender
{
    /// <summary>The incoming envelope: id, name, correlation, causation, headers.</summary>
    Envelope Envelope { get; }

    /// <summary>The endpoint handling the message.</summary>
    string Endpoint { get; }

    /// <summary>How many times the transport has handed this message out, this time included.</summary>
    int DeliveryCount { get; }

    /// <summary>The scope the handler was resolved from.</summary>
    IServiceProvider Services { get; }

    /// <summary>
    /// In effectively-once mode, the open transaction of the service's own database that the inbox and outbox
    /// commit in: write the handler's data through it. Null in the other modes.
    /// </summary>
    DbTransaction? Transaction { get; }

    /// <summary>Sends <paramref name="message"/> to the queue named in the incoming message's reply-to header.</summary>
    /// <exception cref="InvalidOperationException">The incoming message asked for no reply.</exception>
    ValueTask ReplyAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull;
}
