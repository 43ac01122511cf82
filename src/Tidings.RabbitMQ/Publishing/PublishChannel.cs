using RabbitMQ.Client;
using Tidings.RabbitMQ.Connections;
using Tidings.RabbitMQ.Wire;

namespace Tidings.RabbitMQ.Publishing;

/// <summary>
/// One publishing channel with publisher confirms. A batch's publishes are started in order and their confirms awaited
/// together, so many are in flight on the channel at once.
/// </summary>
internal sealed class PublishChannel : IAsyncDisposable
{
    private static readonly CreateChannelOptions ConfirmOptions = new(
        publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IChannel? _channel;

    /// <summary>
    /// Starts every publish of <paramref name="publications"/> in order and returns their confirmations. The client
    /// serializes publishes on a channel in call order, so a batch keeps its order; concurrent batches interleave, as
    /// concurrent sends may. The client is given no cancellation token: cancelling a publish half-way is what corrupts
    /// its confirm bookkeeping (rabbitmq-dotnet-client #1900); the caller bounds the wait instead.
    /// </summary>
    public async ValueTask<Confirms> StartAsync(RabbitMqConnections connections, IReadOnlyList<Publication> publications, CancellationToken cancellationToken)
    {
        var channel = Volatile.Read(ref _channel);
        if (channel is not { IsOpen: true })
        {
            channel = await OpenAsync(connections, cancellationToken).ConfigureAwait(false);
        }

        if (publications.Count == 1)
        {
            return new Confirms(Publish(channel, publications[0]), null);
        }

        var each = new Task[publications.Count];
        for (var i = 0; i < publications.Count; i++)
        {
            each[i] = Publish(channel, publications[i]);
        }

        return new Confirms(Task.WhenAll(each), each);
    }

    private static Task Publish(IChannel channel, Publication p)
    {
        try
        {
            return channel.BasicPublishAsync(p.Exchange, p.RoutingKey, p.Mandatory, p.Properties, p.Body, CancellationToken.None).AsTask();
        }
#pragma warning disable CA1031 // Every publish gets its outcome; the caller sees the first failure.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Task.FromException(ex);
        }
    }

    private async ValueTask<IChannel> OpenAsync(RabbitMqConnections connections, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await OpenLockedAsync(connections, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<IChannel> OpenLockedAsync(RabbitMqConnections connections, CancellationToken cancellationToken)
    {
        var connection = await connections.PublishingAsync(cancellationToken).ConfigureAwait(false);

        // A channel the broker closed for an error of the publisher's (404 on a deleted exchange) is not recovered by the
        // client and is replaced; one closed because the connection dropped comes back with the connection, so it is
        // kept. The replaced one is not disposed: batches may still be publishing on it, and fail over to the new one.
        if (_channel is null || BrokerErrors.IsChannelError(_channel.CloseReason))
        {
            Volatile.Write(ref _channel, await connection.CreateChannelAsync(ConfirmOptions, cancellationToken).ConfigureAwait(false));
        }

        return _channel;
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}

/// <summary>The confirms of a batch's publishes: all of them as one task, and each one (null for a single publish).</summary>
internal readonly record struct Confirms(Task All, Task[]? Each)
{
    public int Count => Each?.Length ?? 1;

    public Task this[int index] => Each is null ? All : Each[index];
}
