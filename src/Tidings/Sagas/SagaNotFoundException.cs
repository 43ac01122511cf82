namespace Tidings;

/// <summary>
/// A message for a saga instance that does not exist (yet): redelivered later, since its starter may be in flight on
/// another worker or still on its way (no immediate retry: the starter needs time), and dead-lettered with the reason
/// <c>saga-not-found</c> once the endpoint's delayed redeliveries are used up.
/// </summary>
public sealed class SagaNotFoundException : Exception, IDeadLetterReason
{
    /// <summary>Creates the exception.</summary>
    public SagaNotFoundException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SagaNotFoundException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SagaNotFoundException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <inheritdoc />
    public string DeadLetterReason => "saga-not-found";
}

/// <summary>An exception that names the reason a message is dead-lettered with once its retries are used up (else <c>handler-failed</c>).</summary>
public interface IDeadLetterReason
{
    /// <summary>The reason (<see cref="TidingsHeaders.DeadLetterReason"/>), a short kebab-case word.</summary>
    string DeadLetterReason { get; }
}
