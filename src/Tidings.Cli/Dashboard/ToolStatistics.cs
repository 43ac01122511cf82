using Microsoft.Extensions.Hosting;
using Tidings.Cli.Connection;
using Tidings.DeadLetters;
using Tidings.Operations;
using Tidings.Transport;

namespace Tidings.Cli.Dashboard;

/// <summary>
/// The statistics of the queues a dashboard beside the services watches, and of the store it was given: measured
/// every <see cref="Interval"/> while it runs, the last hour kept for the sparklines. The queues are the ones named,
/// else every queue of a bus that can list them (the SQLite bus file), else the endpoints that have dead letters.
/// </summary>
internal sealed class ToolStatistics(ToolConnection connection, IReadOnlyCollection<string> queues, TimeProvider time) : BackgroundService, IStatisticsHistory
{
    private readonly StatisticsSamples _history = new();

    public TimeSpan Interval { get; } = TimeSpan.FromSeconds(15);

    public IReadOnlyList<StatisticsSample> Samples => _history.ToList();

    public async Task<StatisticsSample> MeasureAsync(CancellationToken cancellationToken = default)
    {
        List<QueueStatistics> measured = [];
        if (connection.Address.HasBus)
        {
            var statistics = connection.Queues;
            IReadOnlyCollection<string> names = queues;
            if (names.Count == 0 && !statistics.CanListQueues && connection.Address.HasStore)
            {
                names = (await connection.DeadLetters.GroupsAsync(DeadLetterQuery.All, cancellationToken).ConfigureAwait(false))
                    .SelectMany(g => g.Endpoints).Distinct(StringComparer.Ordinal).ToList();
            }

            if (names.Count > 0 || statistics.CanListQueues)
            {
                measured = (await statistics.GetQueueStatisticsAsync(names, cancellationToken).ConfigureAwait(false))
                    .Where(q => !q.Queue.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal) && !IsTidingsOwn(q.Queue)).ToList();
            }

            if (connection.Address.RabbitMq is not null && connection.Address.HasStore)
            {
                // On RabbitMQ the dead letters are moved into the store: they count with their queue.
                var withStored = new List<QueueStatistics>(measured.Count);
                foreach (var queue in measured)
                {
                    var stored = await connection.DeadLetters.CountAsync(new DeadLetterQuery { Endpoint = queue.Queue }, cancellationToken).ConfigureAwait(false);
                    withStored.Add(queue with { DeadLetters = queue.DeadLetters + stored });
                }

                measured = withStored;
            }
        }

        var store = connection.Address.HasStore ? await connection.Store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false) : null;
        return new StatisticsSample(time.GetUtcNow(), measured, store);
    }

    /// <summary>A process's own queue of Tidings (a reply queue, a dashboard's flow reports), not an endpoint's.</summary>
    private static bool IsTidingsOwn(string queue) => queue.StartsWith("tidings.", StringComparison.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _history.Add(await MeasureAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed measurement leaves a gap in the history; the page's live stream says what failed.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
