namespace Tidings;

/// <summary>
/// Thrown by a handler (or a step) for a message no retry can help: its unit of work is undone, and it goes to the
/// dead-letter queue at once with <see cref="Reason"/>, without the retries an ordinary failure gets.
/// </summary>
public sealed class DeadLetterException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeadLetterException()
        : this("dead-lettered", "The handler dead-lettered the message.")
    {
    }

    /// <summary>Creates the exception with a message; the reason is <c>dead-lettered</c>.</summary>
    public DeadLetterException(string message)
        : this("dead-lettered", message)
    {
    }

    /// <summary>Creates the exception with a message and its cause; the reason is <c>dead-lettered</c>.</summary>
    public DeadLetterException(string message, Exception inner)
        : base(message, inner) => Reason = "dead-lettered";

    /// <summary>Creates the exception with the reason the dead-letter queue records (a short kebab-case word) and a message.</summary>
    public DeadLetterException(string reason, string message)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Reason = reason;
    }

    /// <summary>The reason recorded with the dead letter (<see cref="TidingsHeaders.DeadLetterReason"/>).</summary>
    public string Reason { get; }
}
