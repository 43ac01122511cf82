namespace Tidings;

/// <summary>Handles messages of type <typeparamref name="TMessage"/>. Resolved from a DI scope per message.</summary>
public interface IHandleMessages<in TMessage>
    where TMessage : notnull
{
    /// <summary>Handles one message. Throwing means failure: the message is retried, then dead-lettered.</summary>
    Task HandleAsync(TMessage message, IMessageContext context, CancellationToken cancellationToken);
}
