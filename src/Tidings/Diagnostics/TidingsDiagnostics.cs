using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tidings.Diagnostics;

/// <summary>
/// The ActivitySource and Meter of Tidings. Listen to <see cref="SourceName"/> with OpenTelemetry
/// (<c>AddSource("Tidings")</c>, <c>AddMeter("Tidings")</c>). Names follow the OpenTelemetry messaging conventions.
/// </summary>
public static class TidingsDiagnostics
{
    /// <summary>The name of both the ActivitySource and the Meter.</summary>
    public const string SourceName = "Tidings";

    internal static readonly ActivitySource ActivitySource = new(SourceName, typeof(TidingsDiagnostics).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(SourceName, typeof(TidingsDiagnostics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> SentMessages =
        Meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Messages sent or published.");

    /// <summary>Counts one message sent to <paramref name="destination"/> on transport <paramref name="system"/>.</summary>
    internal static void CountSent(string system, string destination)
    {
        if (SentMessages.Enabled)
        {
            SentMessages.Add(1, new KeyValuePair<string, object?>(MessagingTags.System, system), new KeyValuePair<string, object?>(MessagingTags.Destination, destination));
        }
    }

    internal static readonly Counter<long> ConsumedMessages =
        Meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}", "Messages received by endpoints.");

    internal static readonly Counter<long> DeadLetteredMessages =
        Meter.CreateCounter<long>("tidings.messages.dead_lettered", "{message}", "Messages moved to a dead-letter queue.");

    /// <summary>
    /// Outbox lag: from the commit of a unit of work to the transport's confirmation of its messages (tag
    /// <c>tidings.outbox.path</c> = <c>direct</c>); for messages a relay sends (<c>relay</c>), from when they were staged.
    /// </summary>
    internal static readonly Histogram<double> OutboxLag =
        Meter.CreateHistogram<double>("tidings.outbox.lag", "s", "Time from a commit to the transport's confirmation of the messages it staged.");

    /// <summary>Outbox messages parked because no queue receives them yet, as the relay last counted them.</summary>
    internal static readonly ObservableGauge<long> OutboxParked =
        Meter.CreateObservableGauge("tidings.outbox.parked", () => Stores.ParkedOutboxMonitor.Observe().Count, "{message}",
            "Outbox messages parked because no queue receives them yet.");

    /// <summary>How long the oldest parked outbox message has waited.</summary>
    internal static readonly ObservableGauge<double> OutboxParkedOldestAge =
        Meter.CreateObservableGauge("tidings.outbox.parked.oldest_age", () => Stores.ParkedOutboxMonitor.Observe().OldestAgeSeconds, "s",
            "How long the oldest parked outbox message has waited since it was staged.");

    // The statistics gauges: the last measurement of each host's StatisticsSampler (TidingsOptions.StatisticsInterval).
    internal static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge("tidings.queue.depth",
        () => Operations.StatisticsGauges.QueueValue(q => q.Depth), "{message}", "Messages waiting in an endpoint's queue.");

    internal static readonly ObservableGauge<long> QueueInFlight = Meter.CreateObservableGauge("tidings.queue.in_flight",
        () => Operations.StatisticsGauges.QueueValue(q => q.InFlight), "{message}", "Messages handed out by an endpoint's queue and not yet settled.");

    internal static readonly ObservableGauge<long> QueueDeadLetters = Meter.CreateObservableGauge("tidings.queue.dead_letters",
        () => Operations.StatisticsGauges.QueueValue(q => q.DeadLetters), "{message}", "Dead letters of an endpoint.");

    internal static readonly ObservableGauge<double> QueueOldestAge = Meter.CreateObservableGauge("tidings.queue.oldest_age",
        Operations.StatisticsGauges.QueueOldestAge, "s", "How long the oldest message waiting in an endpoint's queue has waited since it was sent.");

    internal static readonly ObservableGauge<long> QueueConsumers = Meter.CreateObservableGauge("tidings.queue.consumers",
        () => Operations.StatisticsGauges.QueueValue(q => q.Consumers), "{consumer}", "Consumers attached to an endpoint's queue.");

    internal static readonly ObservableGauge<long> OutboxBacklog = Meter.CreateObservableGauge("tidings.outbox.backlog",
        () => Operations.StatisticsGauges.StoreValue(s => s.Outbox.Count), "{message}", "Messages in the outbox not yet confirmed by the transport.");

    internal static readonly ObservableGauge<double> OutboxBacklogOldestAge = Meter.CreateObservableGauge("tidings.outbox.backlog.oldest_age",
        Operations.StatisticsGauges.OutboxOldestAge, "s", "How long the oldest outbox message has waited since it was committed.");

    internal static readonly ObservableGauge<long> SchedulesDue = Meter.CreateObservableGauge("tidings.schedules.due",
        () => Operations.StatisticsGauges.StoreValue(s => s.ScheduledDue), "{message}", "Scheduled messages due and not yet sent.");

    internal static readonly ObservableGauge<long> SchedulesPending = Meter.CreateObservableGauge("tidings.schedules.pending",
        () => Operations.StatisticsGauges.StoreValue(s => s.ScheduledPending), "{message}", "Scheduled messages due later.");

    internal static readonly ObservableGauge<long> SagaInstances = Meter.CreateObservableGauge("tidings.sagas",
        Operations.StatisticsGauges.Sagas, "{instance}", "Saga instances by saga and status.");

    internal static readonly Histogram<double> ProcessDuration =
        Meter.CreateHistogram<double>("messaging.process.duration", "s", "Time to handle one message, retries included.");
}
