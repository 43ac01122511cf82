using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Transport;

namespace Tidings.Operations;

/// <summary>
/// Measures the service's endpoints' queues and its store every <see cref="TidingsOptions.StatisticsInterval"/> and keeps
/// the last hour of measurements: the gauges read the last one rather than the database (a scrape must not cost a query),
/// and dashboards draw the history.
/// </summary>
internal sealed partial class StatisticsSampler(
    ITransport transport, IStoreInspector? store, Func<string, CancellationToken, Task<long>>? storedDeadLetters, TidingsOptions options,
    IHostApplicationLifetime lifetime, TimeProvider time, ILogger<StatisticsSampler> logger, string serviceName = "service") : BackgroundService, IStatisticsHistory
{
    private static readonly TimeSpan FlowKeepAlive = TimeSpan.FromMinutes(2);
    private readonly string _instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";
    private (int Entries, long Total) _flowSignature;
    private DateTimeOffset? _flowReportedAt;
    private bool _flowMoving;
    private static readonly ConcurrentDictionary<StatisticsSampler, byte> Live = new();
    private readonly StatisticsSamples _history = new();
    private StatisticsSample _last = new(default, [], null);

    /// <summary>The last measurement of every sampler in this process (one per host), for the gauges.</summary>
    internal static IEnumerable<(IReadOnlyList<QueueStatistics> Queues, StoreStatistics? Store, DateTimeOffset Now)> Observe() =>
        Live.Keys.Select(s => Volatile.Read(ref s._last) is var last ? (last.Queues, last.Store, s._time.GetUtcNow()) : default);

    private readonly TimeProvider _time = time;

    /// <inheritdoc />
    public TimeSpan Interval => options.StatisticsInterval > TimeSpan.Zero ? options.StatisticsInterval : TimeSpan.Zero;

    /// <inheritdoc />
    public IReadOnlyList<StatisticsSample> Samples => _history.ToList();

    /// <summary>Measures once now and keeps it: the gauges' last measurement, and the newest of the history.</summary>
    internal async Task SampleAsync(CancellationToken cancellationToken)
    {
        var sample = await MeasureAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _last, sample);
        _history.Add(sample);
    }

    /// <inheritdoc />
    public async Task<StatisticsSample> MeasureAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<QueueStatistics> queues = [];
        if (transport is IQueueStatistics statistics && options.EndpointNames.Count > 0)
        {
            queues = await statistics.GetQueueStatisticsAsync(options.EndpointNames, cancellationToken).ConfigureAwait(false);
            if (storedDeadLetters is not null)
            {
                // Dead letters moved to the store are the endpoint's too.
                var withStored = new List<QueueStatistics>(queues.Count);
                foreach (var queue in queues)
                {
                    withStored.Add(queue with { DeadLetters = queue.DeadLetters + await storedDeadLetters(queue.Queue, cancellationToken).ConfigureAwait(false) });
                }

                queues = withStored;
            }
        }

        var measured = store is null ? null : await store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        return new StatisticsSample(_time.GetUtcNow(), queues, measured);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.StatisticsInterval <= TimeSpan.Zero)
        {
            return;
        }

        // After the host has started: the endpoints' queues (and a new bus file) exist by then.
        if (!await HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        Live[this] = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await SampleAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed measurement leaves the last one in place; the next interval tries again.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogFailed(logger, ex);
                }

                if (options.PublishFlow && !await TryPublishFlowAsync(stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                try
                {
                    await Task.Delay(options.StatisticsInterval, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        finally
        {
            Live.TryRemove(this, out _);
        }
    }

    /// <summary>The flow report on its own: a store that is down does not keep it back, a broker that hangs holds it one interval at most.</summary>
    private async Task<bool> TryPublishFlowAsync(CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(options.StatisticsInterval);
        try
        {
            await PublishFlowAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
#pragma warning disable CA1031 // A report that did not go is sent with the next sample.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFlowFailed(logger, ex);
        }

        return true;
    }

    /// <summary>
    /// Publishes what this host sent and received so far, for dashboards' maps (dropped if no dashboard listens): when
    /// the counts changed since the last report, and otherwise every <see cref="FlowKeepAlive"/> so that an idle
    /// service stays on the maps. The first sample only sets the baseline; a host that has done nothing reports nothing.
    /// </summary>
    internal async Task PublishFlowAsync(CancellationToken cancellationToken)
    {
        var (sent, received) = options.Flow.Read();
        var signature = (sent.Count + received.Count, sent.Sum(s => s.Count) + received.Sum(r => r.Count));
        var now = _time.GetUtcNow();
        if (_flowReportedAt is null)
        {
            // The first sample, at start: the baseline. The first report goes with the next sample, if anything happened.
            (_flowSignature, _flowReportedAt) = (signature, now);
            return;
        }

        // Unchanged: nothing to say, unless the last report was of a change (this one then shows the rates fall to
        // zero) or the keep-alive is due.
        var changed = signature != _flowSignature;
        if (!changed && !_flowMoving && now - _flowReportedAt < FlowKeepAlive)
        {
            return;
        }

        var report = new FlowReport(serviceName, _instance, options.EndpointNames, sent, received, _time.GetUtcNow());
        var envelope = new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = FlowReport.Topic,
            SentAt = report.At,
            ContentType = "application/json",
            Body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(report, FlowJson.Options),
        };
        await transport.SendAsync([new OutgoingMessage(Destination.Topic(FlowReport.Topic), envelope)], cancellationToken).ConfigureAwait(false);
        (_flowSignature, _flowReportedAt, _flowMoving) = (signature, now, changed);
    }

    [LoggerMessage(LogLevel.Warning, "Could not publish this service's flow report for the dashboards' maps; the next sample tries again.")]
    private static partial void LogFlowFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Could not measure the queues and store for the statistics gauges; they keep the last measurement.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>The statistics gauges, read from the samplers' last measurements.</summary>
internal static class StatisticsGauges
{
    private const string Queue = "messaging.destination.name";

    internal static IEnumerable<Measurement<long>> QueueValue(Func<QueueStatistics, long?> value) =>
        StatisticsSampler.Observe().SelectMany(o => o.Queues)
            .Where(q => value(q) is not null)
            .Select(q => new Measurement<long>(value(q)!.Value, new KeyValuePair<string, object?>(Queue, q.Queue)));

    internal static IEnumerable<Measurement<double>> QueueOldestAge() =>
        StatisticsSampler.Observe().SelectMany(o => o.Queues)
            .Where(q => q.OldestAge is not null)
            .Select(q => new Measurement<double>(q.OldestAge!.Value.TotalSeconds, new KeyValuePair<string, object?>(Queue, q.Queue)));

    internal static IEnumerable<Measurement<long>> StoreValue(Func<StoreStatistics, long> value) =>
        StatisticsSampler.Observe().Where(o => o.Store is not null).Select(o => new Measurement<long>(value(o.Store!)));

    internal static IEnumerable<Measurement<double>> OutboxOldestAge() =>
        StatisticsSampler.Observe().Where(o => o.Store is not null).Select(o => new Measurement<double>(o.Store!.Outbox.OldestAge(o.Now).TotalSeconds));

    internal static IEnumerable<Measurement<long>> Sagas() =>
        StatisticsSampler.Observe().Where(o => o.Store is not null).SelectMany(o => o.Store!.Sagas)
            .Select(s => new Measurement<long>(s.Count, new KeyValuePair<string, object?>("tidings.saga", s.Saga),
                new KeyValuePair<string, object?>("tidings.saga.status", s.Status.ToString().ToLowerInvariant())));
}
