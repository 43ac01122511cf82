namespace Tidings.Testing;

/// <summary>How a message left a host.</summary>
public enum HarnessMessageKind
{
    /// <summary>Sent to a queue.</summary>
    Sent,

    /// <summary>Published to a topic.</summary>
    Published,

    /// <summary>Sent to the queue a request named for its reply.</summary>
    Replied,

    /// <summary>Scheduled for later: a delayed send, a saga timeout or a message given to <c>IMessageScheduler</c>.</summary>
    Scheduled,
}

/// <summary>A message that left a host during a harness call, as the transport (or, if scheduled, the store) took it.</summary>
public sealed class HarnessMessage
{
    private readonly Lazy<object?> _message;

    internal HarnessMessage(HarnessMessageKind kind, string destination, Envelope envelope, DateTimeOffset? dueAt, Func<Envelope, object?> read)
    {
        Kind = kind;
        Destination = destination;
        Envelope = envelope;
        DueAt = dueAt;
        _message = new Lazy<object?>(() => read(envelope));
    }

    /// <summary>Sent, published, replied or scheduled.</summary>
    public HarnessMessageKind Kind { get; }

    /// <summary>The queue or topic.</summary>
    public string Destination { get; }

    /// <summary>The message's registered name.</summary>
    public string MessageName => Envelope.MessageName;

    /// <summary>The message's id.</summary>
    public Guid MessageId => Envelope.MessageId;

    /// <summary>When a scheduled message is due; null for the others.</summary>
    public DateTimeOffset? DueAt { get; }

    /// <summary>The envelope, headers included.</summary>
    public Envelope Envelope { get; }

    /// <summary>The message, read by the registered name (null if no service under test registered it).</summary>
    public object? Message => _message.Value;

    /// <inheritdoc />
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} {MessageName} to {Destination}" + (DueAt is { } due ? $" due {due:O}" : "");
}

/// <summary>One run of a handler, or of a saga, on one message.</summary>
/// <param name="Service">The harness's name of the service.</param>
/// <param name="Endpoint">The endpoint that received the message.</param>
/// <param name="Handler">The handler's type name, or <c>saga {name}</c>.</param>
/// <param name="MessageName">The message's registered name.</param>
/// <param name="MessageId">The message's id.</param>
/// <param name="Message">The message as the handler got it.</param>
/// <param name="Exception">What the handler threw; null if it succeeded.</param>
public sealed record HandlerInvocation(string Service, string Endpoint, string Handler, string MessageName, Guid MessageId, object? Message, Exception? Exception)
{
    /// <summary>The handler returned without throwing.</summary>
    public bool Succeeded => Exception is null;

    /// <inheritdoc />
    public override string ToString() => $"{Service}/{Endpoint}: {Handler} handled {MessageName}" + (Exception is { } ex ? $" and threw {ex.GetType().Name}: {ex.Message}" : "");
}

/// <summary>A message whose handling failed: dead-lettered, or back in its queue for a delayed redelivery.</summary>
/// <param name="Service">The harness's name of the service.</param>
/// <param name="Endpoint">The endpoint that received the message.</param>
/// <param name="MessageName">The message's registered name.</param>
/// <param name="MessageId">The message's id.</param>
/// <param name="DeadLettered">True if it went to the dead-letter queue; false if it waits for a redelivery.</param>
/// <param name="Reason">The dead-letter reason (<c>handler-failed</c>, <c>unknown-message-name</c>, ...).</param>
/// <param name="Exception">The exception behind it, with its stack; null for a refusal no handler saw.</param>
public sealed record HarnessFailure(string Service, string Endpoint, string MessageName, Guid MessageId, bool DeadLettered, string? Reason, Exception? Exception)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Service}/{Endpoint}: {MessageName} {MessageId} " + (DeadLettered ? $"dead-lettered ({Reason})" : "waits for a redelivery") +
        (Exception is { } ex ? $": {ex.GetType().Name}: {ex.Message}" : "");
}
