using Tidings.RabbitMQ.Wire;

namespace Tidings.RabbitMQ.Receiving;

/// <summary>What settling a delivery needs: who holds it, its tag on that channel, and which life of the channel it came in.</summary>
internal sealed record DeliveryState(RabbitMqReceiver Owner, ulong Tag, int Generation, DeliveryHistory History, DelayedRoute? Route);
