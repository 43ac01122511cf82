using Tidings.RabbitMQ.Wire;

namespace Tidings.RabbitMQ.Receiving;

/// <summary>What settling a delivery needs: who holds it, its tag on that channel, and which life of the channel it came in.</summary>
/// <param name="Owner">The receiver whose channel delivered it.</param>
/// <param name="Tag">The delivery tag.</param>
/// <param name="Generation">The receiver's channel life it arrived in; settling it in a later one is void.</param>
/// <param name="Carried">
/// The delivery history the message's headers carried, without this copy's own returns: what the delay forwarder passes
/// on, so that the forwarder's own crashes are not counted against the message.
/// </param>
/// <param name="Route">Where a delayed message goes, and when.</param>
internal sealed record DeliveryState(RabbitMqReceiver Owner, ulong Tag, int Generation, DeliveryHistory Carried, DelayedRoute? Route);
