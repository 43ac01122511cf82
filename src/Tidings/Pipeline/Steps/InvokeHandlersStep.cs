using System.Runtime.CompilerServices;
namespace Tidings.Pipeline.Steps;

/// <summary>Calls every handler the endpoint has for the message's type, in registration order.</summary>
internal sealed class InvokeHandlersStep(Pipeline<SendContext> sendPipeline, WorkTracker? tracker = null) : IStep<ReceiveContext>
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        // A message an endpoint takes only in a saga has no plain handler.
        if (context.Endpoint.HandlersByType.TryGetValue(context.MessageType!, out var invokers))
        {
            var handlerContext = new MessageContext(context, sendPipeline);
            foreach (var invoker in invokers)
            {
                if (tracker?.HandlerRan is { } ran)
                {
                    await InvokeWatchedAsync(invoker, context, handlerContext, ran).ConfigureAwait(false);
                    continue;
                }

                await invoker.InvokeAsync(context.Services!, context.Message!, handlerContext, context.CancellationToken).ConfigureAwait(false);
            }
        }

        await nextStep.InvokeAsync(context).ConfigureAwait(false);
    }

    private static async Task InvokeWatchedAsync(IHandlerInvoker invoker, ReceiveContext context, MessageContext handlerContext, Action<HandlerRun> ran)
    {
        try
        {
            await invoker.InvokeAsync(context.Services!, context.Message!, handlerContext, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ran(new HandlerRun(context.EndpointName, invoker.HandlerType.Name, context.Envelope, context.Message, ex));
            throw;
        }

        ran(new HandlerRun(context.EndpointName, invoker.HandlerType.Name, context.Envelope, context.Message, null));
    }
}
