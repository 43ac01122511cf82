using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Tidings.RabbitMQ.Wire;

/// <summary>What the broker's AMQP reply codes mean to the transport, in one place.</summary>
internal static class BrokerErrors
{
    /// <summary>404: the queue or exchange does not exist.</summary>
    public const ushort NotFound = 404;

    /// <summary>406: declared with other arguments than it exists with (or an unknown delivery tag).</summary>
    public const ushort PreconditionFailed = 406;

    /// <summary>
    /// The broker closed a channel for an error of the client's (403 access refused, 404 not found, 405 resource locked,
    /// 406 precondition failed): it stays an error after a reconnection, and the client does not recover such a channel.
    /// </summary>
    public static bool IsChannelError(ShutdownEventArgs? reason) =>
        reason is { Initiator: ShutdownInitiator.Peer, ReplyCode: 403 or NotFound or 405 or PreconditionFailed };

    /// <summary>The broker answered <paramref name="code"/>.</summary>
    public static bool Is(this OperationInterruptedException exception, ushort code) => exception.ShutdownReason?.ReplyCode == code;
}
