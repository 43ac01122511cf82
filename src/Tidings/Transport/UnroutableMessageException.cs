namespace Tidings.Transport;

/// <summary>A message was sent to a destination with no queue behind it. Nothing was sent.</summary>
public sealed class UnroutableMessageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnroutableMessageException() { }

    /// <summary>Creates the exception with a message.</summary>
    public UnroutableMessageException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public UnroutableMessageException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception for a destination.</summary>
    public UnroutableMessageException(Destination destination, string messageName)
        : base($"No queue receives {destination}: message '{messageName}' has no route. " +
               "Declare the receiving endpoint (start it once) before sending to it.")
    {
        Destination = destination;
    }

    /// <summary>The destination that had no route.</summary>
    public Destination? Destination { get; }
}
