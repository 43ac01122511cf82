using System.Runtime.CompilerServices;
using System.Diagnostics;
using Tidings.Diagnostics;
using Tidings.Transport;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// A producer span per message (OpenTelemetry messaging conventions), its context carried in the headers; the sent
/// counter, and the host's flow counts.
/// </summary>
internal sealed class SendTracingStep(string system, Operations.FlowRecorder? flow) : IStep<SendContext>
{
    public ValueTask ProcessAsync(SendContext context, NextStep<SendContext> nextStep)
    {
        // Counted for the flow map as it is handed on: a message built to be kept leaves later, if at all.
        if (flow is not null && context.Dispatcher is not CapturingDispatcher)
        {
            flow.Sent(context.Origin, context.Outgoing!.Envelope.MessageName, context.Outgoing.Destination);
        }

        // No one listening for spans or the sent counter: nothing to do around the send, and no state machine for it.
        if (!TidingsDiagnostics.ActivitySource.HasListeners() && !TidingsDiagnostics.SentMessages.Enabled)
        {
            if (Activity.Current is { } current)
            {
                TraceContext.Inject(current, context.Outgoing!.Envelope.Headers);
            }

            return nextStep.InvokeAsync(context);
        }

        return TracedAsync(context, nextStep);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask TracedAsync(SendContext context, NextStep<SendContext> nextStep)
    {
        var outgoing = context.Outgoing!;

        // A message built to be kept (a saga's compensation, which may never be sent; a scheduled message or timeout) is
        // created now and leaves later, if at all: OpenTelemetry calls that "create". It is counted as sent when it
        // leaves (ScheduleRelay for the scheduled, the saga's unit of work for a compensation that runs).
        var kept = context.Dispatcher is CapturingDispatcher;
        var operation = kept ? "create" : outgoing.Destination.Kind == DestinationKind.Topic ? "publish" : "send";
        using var activity = TidingsDiagnostics.ActivitySource.HasListeners()
            ? TidingsDiagnostics.ActivitySource.StartActivity($"{operation} {outgoing.Destination.Name}", ActivityKind.Producer)
            : null;
        if (activity is not null)
        {
            activity.SetTag(MessagingTags.System, system);
            activity.SetTag(MessagingTags.Operation, kept ? "create" : "send");
            activity.SetTag(MessagingTags.OperationName, operation);
            activity.SetTag(MessagingTags.Destination, outgoing.Destination.Name);
            activity.SetTag(MessagingTags.MessageId, outgoing.Envelope.MessageId.ToString());
            activity.SetTag(MessagingTags.ConversationId, outgoing.Envelope.CorrelationId);
            activity.SetTag(MessagingTags.BodySize, outgoing.Envelope.Body.Length);
            TraceContext.Inject(activity, context.Outgoing!.Envelope.Headers);
        }
        else if (Activity.Current is { } current)
        {
            TraceContext.Inject(current, context.Outgoing!.Envelope.Headers);
        }

        try
        {
            await nextStep.InvokeAsync(context).ConfigureAwait(false);
            if (!kept)
            {
                TidingsDiagnostics.CountSent(system, outgoing.Destination.Name);
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.SetTag(MessagingTags.ErrorType, ex.GetType().FullName);
            throw;
        }
    }
}
