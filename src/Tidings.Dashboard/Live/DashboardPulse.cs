using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.DeadLetters;
using Tidings.Operations;

namespace Tidings.Dashboard.Live;

/// <summary>
/// The state the open pages follow live: dead letters (how many, the newest), queues, the store's backlogs, and this
/// minute's activity. It is measured at most once per <see cref="TidingsDashboardOptions.RefreshInterval"/> however many
/// pages are open, and only while one is: each page's stream reads the last measurement if it is fresh.
/// </summary>
internal sealed partial class DashboardPulse(
    IServiceProvider services, MessageActivity activity, FlowListener flow, TidingsDashboardOptions options, TimeProvider time, ILogger<DashboardPulse> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _measuring = new(1, 1);
    private long _measuredAt;
    private string? _last;

    /// <summary>The state as JSON, measured now unless another page's stream measured it within the refresh interval.</summary>
    public async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        await _measuring.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A tenth short of the interval: a stream's delay that ends a tick early still gets a new measurement.
            if (_last is null || time.GetElapsedTime(_measuredAt) >= options.RefreshInterval * 0.9)
            {
                _last = await MeasureAsync(cancellationToken).ConfigureAwait(false);
                _measuredAt = time.GetTimestamp();
            }

            return _last;
        }
        finally
        {
            _measuring.Release();
        }
    }

    public void Dispose() => _measuring.Dispose();

    private async Task<string> MeasureAsync(CancellationToken cancellationToken)
    {
        try
        {
            long? failures = null;
            string? newest = null;
            if (services.GetService<IDeadLetters>() is { } deadLetters)
            {
                failures = await deadLetters.CountAsync(new DeadLetterQuery(), cancellationToken).ConfigureAwait(false);
                newest = (await deadLetters.ListAsync(new DeadLetterQuery(), 1, cancellationToken: cancellationToken).ConfigureAwait(false)).Items is [var first, ..] ? first.Id : null;
            }

            var sample = services.GetService<IStatisticsHistory>() is { } history ? await history.MeasureAsync(cancellationToken).ConfigureAwait(false) : null;
            var endpoints = DashboardViews.Endpoints(services, sample);
            return JsonSerializer.Serialize(new
            {
                failures = new { count = failures, newest },
                flow = flow.Heard,
                queues = sample?.Queues.Select(DashboardViews.Queue) ?? [],
                store = sample?.Store is { } store ? DashboardViews.Store(store, sample.At) : null,
                activity = endpoints.Select(e =>
                {
                    var minutes = activity.Of(e);
                    var health = DashboardViews.Health(sample?.Queues.FirstOrDefault(q => q.Queue == e), minutes, time.GetUtcNow());
                    return new { endpoint = e, health, minutes = minutes.TakeLast(2) };
                }),
            }, DashboardJson.Options);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The page says that the look failed and keeps its stream (the next look may succeed); the log says why,
            // since a driver's message may name hosts and users the page need not show.
            LogFailed(logger, ex);
            return JsonSerializer.Serialize(new { error = "The service's bus or store did not answer; its log says why. The next look tries again." }, DashboardJson.Options);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Dashboard: measuring the state the open pages follow failed; the next look tries again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
