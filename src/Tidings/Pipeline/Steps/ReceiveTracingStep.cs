using System.Diagnostics;
using Tidings.Diagnostics;

namespace Tidings.Pipeline.Steps;

/// <summary>A consumer span per message, child of the sender's span; the consumed counter and the duration histogram.</summary>
internal sealed class ReceiveTracingStep(string system) : IStep<ReceiveContext>
{
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var envelope = context.Envelope;
        var parent = TraceContext.Extract(envelope.Headers);
        using var activity = TidingsDiagnostics.ActivitySource.StartActivity($"process {context.EndpointName}", ActivityKind.Consumer, parent);
        if (activity is not null)
        {
            activity.SetTag(MessagingTags.System, system);
            activity.SetTag(MessagingTags.Operation, "process");
            activity.SetTag(MessagingTags.OperationName, "process");
            activity.SetTag(MessagingTags.Destination, context.EndpointName);
            activity.SetTag(MessagingTags.ConsumerGroup, context.EndpointName);
            activity.SetTag(MessagingTags.MessageId, envelope.MessageId.ToString());
            activity.SetTag(MessagingTags.ConversationId, envelope.CorrelationId);
            activity.SetTag(MessagingTags.MessageName, envelope.MessageName);
            activity.SetTag(MessagingTags.BodySize, envelope.Body.Length);
        }

        var started = Stopwatch.GetTimestamp();
        await nextStep.InvokeAsync(context).ConfigureAwait(false);
        var outcome = context.Settlement.Kind.ToString().ToLowerInvariant();
        activity?.SetTag(MessagingTags.Outcome, outcome);
        if (context.Settlement.Kind != Transport.SettlementKind.Ack)
        {
            activity?.SetStatus(ActivityStatusCode.Error, context.Envelope.Headers.GetValueOrDefault(TidingsHeaders.ExceptionMessage));
        }

        var tags = new TagList
        {
            { MessagingTags.System, system },
            { MessagingTags.Destination, context.EndpointName },
            { MessagingTags.Outcome, outcome },
        };
        TidingsDiagnostics.ConsumedMessages.Add(1, tags);
        TidingsDiagnostics.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        if (context.Settlement.Kind == Transport.SettlementKind.DeadLetter)
        {
            TidingsDiagnostics.DeadLetteredMessages.Add(1, tags);
        }
    }
}
