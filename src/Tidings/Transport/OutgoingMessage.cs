namespace Tidings.Transport;

/// <summary>An envelope on its way to a destination, optionally not to be delivered before <see cref="DeliverAt"/>.</summary>
public sealed record OutgoingMessage(Destination Destination, Envelope Envelope, DateTimeOffset? DeliverAt = null);
