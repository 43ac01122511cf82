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
                try
                {
                    await invoker.InvokeAsync(context.Services!, context.Message!, handlerContext, context.CancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    context.HandlerFailure = ex;
                    context.RecordRun(tracker, invoker.HandlerType.Name, ex);
                    throw;
                }

                context.RecordRun(tracker, invoker.HandlerType.Name, null);
            }
        }

        await nextStep.InvokeAsync(context).ConfigureAwait(false);
    }
}
