namespace Tidings.Operations;

/// <summary>One measurement of a service's endpoints' queues and its store.</summary>
/// <param name="At">When it was taken.</param>
/// <param name="Queues">Each endpoint's queue.</param>
/// <param name="Store">The store's backlogs and sagas; null without a store.</param>
public sealed record StatisticsSample(DateTimeOffset At, IReadOnlyList<QueueStatistics> Queues, StoreStatistics? Store);

/// <summary>
/// The service's statistics over the last hour: one sample every <see cref="TidingsOptions.StatisticsInterval"/>, the
/// same ones the gauges report. Dashboards draw their sparklines from it rather than querying the store for the past.
/// </summary>
public interface IStatisticsHistory
{
    /// <summary>How often a sample is taken; zero if sampling is off.</summary>
    TimeSpan Interval { get; }

    /// <summary>The samples of the last hour, oldest first.</summary>
    IReadOnlyList<StatisticsSample> Samples { get; }

    /// <summary>Measures now, without adding to the history: for a live view between samples.</summary>
    Task<StatisticsSample> MeasureAsync(CancellationToken cancellationToken = default);
}

/// <summary>The last hour of samples, oldest first: what an <see cref="IStatisticsHistory"/> keeps. Safe across threads.</summary>
public sealed class StatisticsSamples
{
    private static readonly TimeSpan Kept = TimeSpan.FromHours(1);
    private readonly Queue<StatisticsSample> _samples = new();

    /// <summary>Adds <paramref name="sample"/> and forgets those more than an hour older than it.</summary>
    public void Add(StatisticsSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_samples)
        {
            _samples.Enqueue(sample);
            while (_samples.Peek().At < sample.At - Kept)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>The samples kept, oldest first.</summary>
    public IReadOnlyList<StatisticsSample> ToList()
    {
        lock (_samples)
        {
            return [.. _samples];
        }
    }
}
