namespace Tidings;

/// <summary>A message's body is larger than <see cref="TidingsOptions.MaxMessageBytes"/>. It was not sent.</summary>
public sealed class MessageTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MessageTooLargeException() { }

    /// <summary>Creates the exception with a message.</summary>
    public MessageTooLargeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public MessageTooLargeException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception for a message of <paramref name="size"/> bytes.</summary>
    public MessageTooLargeException(string messageName, int size, int limit)
        : base($"Message '{messageName}' is {size} bytes; the limit is {limit} bytes (TidingsOptions.MaxMessageBytes).")
    {
    }
}
