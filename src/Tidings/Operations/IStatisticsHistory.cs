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
