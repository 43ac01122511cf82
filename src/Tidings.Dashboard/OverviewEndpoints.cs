using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tidings.Dashboard.Live;
using Tidings.Operations;

namespace Tidings.Dashboard;

/// <summary>The Overview and Queues pages' API, and the live stream every page follows.</summary>
internal static class OverviewEndpoints
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(20);

    public static void Map(RouteGroupBuilder api, RouteGroupBuilder group, TidingsDashboardOptions options)
    {
        api.MapGet("overview", async (HttpContext http, MessageActivity activity, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var sample = await MeasureAsync(http.RequestServices, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var endpoints = DashboardViews.Endpoints(http.RequestServices, sample);
            return DashboardJson.Ok(new
            {
                options.ReadOnly,
                endpoints = endpoints.Select(e =>
                {
                    var queue = sample?.Queues.FirstOrDefault(q => q.Queue == e);
                    var minutes = activity.Of(e);
                    return new { name = e, health = DashboardViews.Health(queue, minutes, now), queue = queue is null ? null : DashboardViews.Queue(queue), minutes };
                }),
                store = sample?.Store is { } store ? DashboardViews.Store(store, now) : null,
            });
        });

        api.MapGet("queues", async (HttpContext http, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var history = http.RequestServices.GetService<IStatisticsHistory>();
            var now = await MeasureAsync(http.RequestServices, cancellationToken).ConfigureAwait(false);
            var samples = history?.Samples ?? [];
            var names = now?.Queues.Select(q => q.Queue) ?? [];
            return DashboardJson.Ok(new
            {
                at = now?.At ?? time.GetUtcNow(),
                intervalSeconds = history?.Interval.TotalSeconds ?? 0,
                queues = names.Select(name => new
                {
                    now = DashboardViews.Queue(now!.Queues.First(q => q.Queue == name)),
                    history = samples.Select(s => (s.At, Queue: s.Queues.FirstOrDefault(q => q.Queue == name)))
                        .Where(p => p.Queue is not null)
                        .Select(p => new { at = p.At, p.Queue!.Depth, p.Queue.InFlight, p.Queue.DeadLetters }),
                }),
            });
        });

        // One stream per open page: the pulse's state whenever it changes. It ends when the app stops, or an open page
        // would hold the server's shutdown until its timeout.
        group.MapGet("events", (DashboardPulse pulse, TimeProvider time, IHostApplicationLifetime lifetime, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(StreamAsync(pulse, time, options.RefreshInterval, lifetime.ApplicationStopping, cancellationToken)));
    }

    private static async Task<StatisticsSample?> MeasureAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetService<IStatisticsHistory>() is { } history ? await history.MeasureAsync(cancellationToken).ConfigureAwait(false) : null;

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        DashboardPulse pulse, TimeProvider time, TimeSpan interval, CancellationToken stopping, [EnumeratorCancellation] CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, aborted);
        var cancellationToken = linked.Token;
        string? sent = null;
        var sentAt = time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            string state;
            try
            {
                state = await pulse.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (state != sent)
            {
                sent = state;
                sentAt = time.GetTimestamp();
                yield return new SseItem<string>(state, "state");
            }
            else if (time.GetElapsedTime(sentAt) >= Heartbeat)
            {
                // Nothing changed for a while: a word on the line, so that a proxy does not cut it as idle.
                sentAt = time.GetTimestamp();
                yield return new SseItem<string>("{}", "ping");
            }

            try
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
