using System.Runtime.CompilerServices;
using System.Diagnostics;
using Tidings.Diagnostics;

namespace Tidings.Pipeline.Steps;

/// <summary>A consumer span per message, child of the sender's span; the consumed counter, the duration histogram, the host's flow counts.</summary>
internal sealed class ReceiveTracingStep(string system, string endpoint, Operations.FlowRecorder? flow) : IStep<ReceiveContext>
{
    private readonly Operations.FlowRecorder.Receipts? _received = flow?.For(endpoint);

    // Made once: a name built per message would be allocated even when no one listens.
    private readonly string _activityName = $"process {endpoint}";

    // Settlement kinds as the outcome tag, without a lower-casing per message.
    private static readonly string[] Outcomes = ["ack", "retry", "deadletter"];

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var envelope = context.Envelope;
        var parent = TidingsDiagnostics.ActivitySource.HasListeners() ? TraceContext.Extract(envelope.Headers) : default;
        using var activity = TidingsDiagnostics.ActivitySource.StartActivity(_activityName, ActivityKind.Consumer, parent);
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
        _received?.Add(envelope.MessageName ?? "");
        await nextStep.InvokeAsync(context).ConfigureAwait(false);
        var outcome = Outcomes[(int)context.Settlement.Kind];
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
