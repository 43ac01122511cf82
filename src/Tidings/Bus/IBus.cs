namespace Tidings;

/// <summary>
/// The bus, for code outside handlers. Each call completes once the transport holds the message durably
/// (at-least-once). To send together with a database change, use <see cref="ITransactionalSessionFactory"/>.
/// </summary>
public interface IBus : IMessageSender
{
    /// <summary>
    /// Sends <paramref name="request"/> to the endpoint <paramref name="destination"/> and waits for the reply its handler
    /// sends with <see cref="IMessageContext.ReplyAsync{T}"/>. Replies come to a queue of this process's own.
    /// </summary>
    /// <exception cref="TimeoutException">No reply within <see cref="RequestOptions.Timeout"/>.</exception>
    /// <exception cref="InvalidOperationException">The reply was not a <typeparamref name="TResponse"/>.</exception>
    Task<TResponse> RequestAsync<TRequest, TResponse>(
        string destination, TRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : notnull
        where TResponse : notnull;
}
