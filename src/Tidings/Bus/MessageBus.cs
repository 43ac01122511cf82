using Tidings.Pipeline;

namespace Tidings;

/// <summary>The <see cref="IBus"/>: the send pipeline ending at the transport.</summary>
internal sealed class MessageBus(BusRuntime runtime, ReplyListener replies) : IBus
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

    public async Task<TResponse> RequestAsync<TRequest, TResponse>(
        string destination, TRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : notnull
        where TResponse : notnull
    {
        options ??= new RequestOptions();
        var registry = runtime.Options.Registry;
        registry.GetName(typeof(TResponse));
        await replies.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);

        var requestId = Envelope.NewMessageId();
        var reply = replies.Expect(requestId);
        try
        {
            var send = new SendOptions { MessageId = requestId, ReplyTo = replies.Queue, CorrelationId = options.CorrelationId, Headers = options.Headers };
            await SendAsync(destination, request, send, cancellationToken).ConfigureAwait(false);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Timeout);
            Envelope envelope;
            try
            {
                envelope = await reply.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"No reply to '{registry.GetName(typeof(TRequest))}' from endpoint '{destination}' within {options.Timeout}.");
            }

            if (!registry.TryResolve(envelope.MessageName, out var type) || !typeof(TResponse).IsAssignableFrom(type))
            {
                throw new InvalidOperationException(
                    $"The reply from '{destination}' was '{envelope.MessageName}', not '{registry.GetName(typeof(TResponse))}'.");
            }

            return (TResponse)runtime.Options.Serializer.Deserialize(envelope.Body, type);
        }
        finally
        {
            replies.Forget(requestId);
        }
    }
}
