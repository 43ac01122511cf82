using Tidings.Transport;

namespace Tidings.RabbitMQ.Topology;

/// <summary>A destination written into a delayed message's header, and read back when it is due.</summary>
internal static class DelayedDestination
{
    public static string Format(Destination destination) =>
        (destination.Kind == DestinationKind.Topic ? "topic:" : "queue:") + destination.Name;

    public static bool TryParse(string text, out Destination destination)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? "" : text[(colon + 1)..];
        destination = text.AsSpan(0, Math.Max(colon, 0)) switch
        {
            "queue" => Destination.Queue(name),
            "topic" => Destination.Topic(name),
            _ => default,
        };
        return name.Length > 0 && destination.Name is not null;
    }
}
