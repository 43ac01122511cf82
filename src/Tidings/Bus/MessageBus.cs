using Tidings.Pipeline;

namespace Tidings;

/// <summary>The <see cref="IBus"/>: the send pipeline ending at the transport.</summary>
internal sealed class MessageBus(BusRuntime runtime) : IBus
{
    private readonly TransportDispatcher _dispatcher = new(runtime.Transport);

    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull =>
        runtime.SendPipeline.InvokeAsync(new SendContext(message, typeof(T), null, options, null, _dispatcher, cancellationToken));

    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        return runtime.SendPipeline.InvokeAsync(new SendContext(message, typeof(T), destination, options, null, _dispatcher, cancellationToken));
    }
}
