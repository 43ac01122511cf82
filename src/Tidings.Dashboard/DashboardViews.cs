using Tidings.Dashboard.Live;
using Tidings.Operations;

namespace Tidings.Dashboard;

/// <summary>How queues, the store's counts and an endpoint's health look in the dashboard's JSON.</summary>
internal static class DashboardViews
{
    private static readonly TimeSpan Recent = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Behind = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The endpoints the pages show: the service's own; for a dashboard that runs beside the services (no endpoints of
    /// its own), the queues it measured.
    /// </summary>
    public static IReadOnlyList<string> Endpoints(IServiceProvider services, StatisticsSample? sample) =>
        services.GetService(typeof(TidingsOptions)) is TidingsOptions { EndpointNames: { Count: > 0 } names }
            ? names
            : sample?.Queues.Select(q => q.Queue).ToList() ?? [];

    public static object Queue(QueueStatistics q) => new
    {
        name = q.Queue, q.Depth, q.InFlight, q.DeadLetters, oldestAgeSeconds = q.OldestAge?.TotalSeconds, q.Consumers,
    };

    public static object Store(StoreStatistics store, DateTimeOffset now) => new
    {
        outbox = new { store.Outbox.Count, oldestAgeSeconds = store.Outbox.OldestAge(now).TotalSeconds },
        parked = new { store.Parked.Count, oldestAgeSeconds = store.Parked.OldestAge(now).TotalSeconds },
        store.ScheduledDue, store.ScheduledPending,
        sagas = store.Sagas.Select(s => new { s.Saga, s.Status, s.Count }),
    };

    /// <summary>
    /// One word for an endpoint, worst first: <c>failing</c> (dead letters or retries in the last five minutes),
    /// <c>no-consumers</c>, <c>behind</c> (its oldest message waited over a minute), <c>ok</c>.
    /// </summary>
    public static string Health(QueueStatistics? queue, IReadOnlyList<ActivityMinute> minutes, DateTimeOffset now)
    {
        var recent = minutes.Where(m => m.Minute >= now - Recent).ToList();
        if (recent.Any(m => m.DeadLettered > 0 || m.Retried > 0))
        {
            return "failing";
        }

        if (queue?.Consumers == 0)
        {
            return "no-consumers";
        }

        return queue?.OldestAge > Behind ? "behind" : "ok";
    }
}
