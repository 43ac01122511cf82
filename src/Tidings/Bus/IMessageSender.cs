namespace Tidings;

/// <summary>Publishes events and sends commands.</summary>
public interface IMessageSender
{
    /// <summary>Publishes an event: a copy goes to every endpoint subscribed to its name (none, if nobody subscribed).</summary>
    ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull;

    /// <summary>Sends a command to one named endpoint. Fails with <see cref="Transport.UnroutableMessageException"/> if no such endpoint was ever declared.</summary>
    ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull;
}
