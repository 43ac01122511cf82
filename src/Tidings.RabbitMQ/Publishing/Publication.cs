using RabbitMQ.Client;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Publishing;

/// <summary>One AMQP publish: where to, whether the broker must route it, and what.</summary>
/// <param name="Exchange">The exchange: "" (the default exchange, which routes to the queue named by the routing key) or a topic's.</param>
/// <param name="RoutingKey">The queue's name on the default exchange; empty for a fanout exchange.</param>
/// <param name="Mandatory">Return the message as an error if no queue takes it.</param>
/// <param name="Properties">The AMQP properties and headers.</param>
/// <param name="Body">The body.</param>
/// <param name="Destination">The destination, for error messages.</param>
internal sealed record Publication(
    string Exchange, string RoutingKey, bool Mandatory, BasicProperties Properties, ReadOnlyMemory<byte> Body, Destination Destination);
