namespace Tidings.Transport;

/// <summary>Where a message goes: one named queue (a command) or a topic every subscriber gets (an event).</summary>
public readonly record struct Destination(DestinationKind Kind, string Name)
{
    /// <summary>A named queue, read by one endpoint (its instances compete).</summary>
    public static Destination Queue(string name) => new(DestinationKind.Queue, name);

    /// <summary>A topic: a copy goes to every queue subscribed to it.</summary>
    public static Destination Topic(string name) => new(DestinationKind.Topic, name);

    /// <inheritdoc />
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Name}";
}

/// <summary>The kind of a <see cref="Destination"/>.</summary>
public enum DestinationKind
{
    /// <summary>One queue.</summary>
    Queue,
    /// <summary>Every queue subscribed to a topic.</summary>
    Topic,
}
