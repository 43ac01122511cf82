using System.Runtime.CompilerServices;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Effectively-once endpoints with sagas: each saga that takes the message finds its instance by the message's
/// correlation id (or starts one), runs its handler, and stores the new state in the batch's transaction, beside the
/// inbox entry and the outgoing messages. Then the endpoint's plain handlers run, if it has any for the message.
/// </summary>
internal sealed class SagaStep(Pipeline<SendContext> sendPipeline, SagaServices services, WorkTracker? tracker = null) : IStep<ReceiveContext>
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        if (context.Endpoint.SagasByType.TryGetValue(context.MessageType!, out var sagas))
        {
            var handlerContext = new MessageContext(context, sendPipeline);
            foreach (var (saga, binding) in sagas)
            {
                try
                {
                    await binding.RunAsync(saga, context, handlerContext, services).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // A missing instance is the saga's bookkeeping, not its handler's failure: it may be there next time.
                    if (ex is not SagaNotFoundException)
                    {
                        context.HandlerFailure = ex;
                    }

                    context.RecordRun(tracker, saga.Name, ex, "saga ");
                    throw;
                }

                context.RecordRun(tracker, saga.Name, null, "saga ");
            }
        }

        await nextStep.InvokeAsync(context).ConfigureAwait(false);
    }
}
