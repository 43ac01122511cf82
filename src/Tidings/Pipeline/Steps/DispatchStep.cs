namespace Tidings.Pipeline.Steps;

/// <summary>Hands the finished message to the context's dispatcher: the transport, a unit of work or an outbox session.</summary>
internal sealed class DispatchStep : IStep<SendContext>
{
    public ValueTask ProcessAsync(SendContext context, NextStep<SendContext> nextStep) =>
        context.Dispatcher.DispatchAsync(context.Outgoing!, context.CancellationToken);
}
