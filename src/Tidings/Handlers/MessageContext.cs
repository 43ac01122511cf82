using System.Data.Common;
using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings;

/// <summary>The handler's view of a <see cref="ReceiveContext"/>; what it sends joins the unit of work.</summary>
internal sealed class MessageContext(ReceiveContext context, Pipeline<SendContext> sendPipeline) : IMessageContext, IOutgoingDispatcher
{
    public Envelope Envelope => context.Envelope;

    public string Endpoint => context.EndpointName;

    public int DeliveryCount => context.Received.DeliveryCount;

    public IServiceProvider Services => context.Services!;

    public DbTransaction? Transaction => context.BatchTransaction?.Transaction;

    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull =>
        sendPipeline.InvokeAsync(new SendContext(message, typeof(T), null, options, context.Envelope, this, cancellationToken) { Origin = context.EndpointName });

    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        return sendPipeline.InvokeAsync(new SendContext(message, typeof(T), destination, options, context.Envelope, this, cancellationToken) { Origin = context.EndpointName });
    }

    public ValueTask ReplyAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        if (!context.Envelope.Headers.TryGetValue(TidingsHeaders.ReplyTo, out var replyTo))
        {
            throw new InvalidOperationException($"Message {context.Envelope.MessageId} ('{context.Envelope.MessageName}') asked for no reply: it has no {TidingsHeaders.ReplyTo} header.");
        }

        return SendAsync(replyTo, message, options, cancellationToken);
    }

    ValueTask IOutgoingDispatcher.DispatchAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        context.Outgoing.Add(message);
        return ValueTask.CompletedTask;
    }
}
