using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Operations;

namespace Tidings.Dashboard;

/// <summary>Which scheduled messages a cancel takes.</summary>
/// <param name="Ids">The schedules' ids, as the list gives them.</param>
public sealed record ScheduleSelection(IReadOnlyList<Guid>? Ids);

/// <summary>The Sagas and Scheduled pages' API: instances by status, one instance's timeline, what fires next, and cancel.</summary>
internal static class SagaEndpoints
{
    public static void Map(RouteGroupBuilder api, TidingsDashboardOptions options)
    {
        api.MapGet("sagas", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            if (http.RequestServices.GetService<IStoreInspector>() is not { } store)
            {
                return NoStore();
            }

            var statistics = await store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
            return DashboardJson.Ok(statistics.Sagas.GroupBy(s => s.Saga, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new { saga = g.Key, total = g.Sum(s => s.Count), byStatus = g.ToDictionary(s => s.Status, s => s.Count) }));
        });

        api.MapGet("sagas/{saga}", async (HttpContext http, string saga, string? status, string? after, string? limit, CancellationToken cancellationToken) =>
        {
            if (DashboardJson.Limit(limit) is not { } size)
            {
                return DashboardProblems.BadLimit();
            }

            SagaStatus? wanted = null;
            if (status is not null)
            {
                if (!Enum.TryParse<SagaStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                {
                    return DashboardProblems.BadRequest($"status must be one of {string.Join(", ", Enum.GetNames<SagaStatus>().Select(n => n.ToLowerInvariant()))}.");
                }

                wanted = parsed;
            }

            if (http.RequestServices.GetService<ISagaInspector>() is not { } sagas)
            {
                return NoStore();
            }

            try
            {
                var page = await sagas.ListAsync(saga, wanted, after, size, cancellationToken).ConfigureAwait(false);
                return DashboardJson.Ok(new { items = page.Instances, next = page.Next });
            }
            catch (ArgumentException ex)
            {
                return DashboardProblems.BadRequest(ex.Message);
            }
        });

        api.MapGet("sagas/{saga}/{**id}", async (HttpContext http, string saga, string id, CancellationToken cancellationToken) =>
        {
            if (http.RequestServices.GetService<ISagaInspector>() is not { } sagas)
            {
                return NoStore();
            }

            return await sagas.GetAsync(saga, id, cancellationToken).ConfigureAwait(false) is { } instance
                ? DashboardJson.Ok(options.SagaRedactor(instance))
                : DashboardProblems.NotFound($"No instance '{id}' of saga '{saga}'.");
        });

        api.MapGet("scheduled", async (HttpContext http, string? after, string? limit, CancellationToken cancellationToken) =>
        {
            if (DashboardJson.Limit(limit) is not { } size)
            {
                return DashboardProblems.BadLimit();
            }

            if (http.RequestServices.GetService<IStoreInspector>() is not { } store)
            {
                return NoStore();
            }

            try
            {
                var page = await store.ListScheduledAsync(size, after, cancellationToken).ConfigureAwait(false);
                return DashboardJson.Ok(new { items = page.Items, next = page.Next });
            }
            catch (ArgumentException ex)
            {
                return DashboardProblems.BadRequest(ex.Message);
            }
        });

        api.MapPost("scheduled/cancel", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            var (selection, problem) = await DashboardJson.ReadAsync<ScheduleSelection>(http.Request, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            if (selection!.Ids is not { Count: > 0 } ids)
            {
                return DashboardProblems.BadRequest("Say which scheduled messages: ids.");
            }

            if (http.RequestServices.GetService<IMessageScheduler>() is not { } scheduler)
            {
                return NoStore();
            }

            DashboardChanges.LogAsked(http, "cancel", $"{ids.Count} scheduled message(s) {string.Join(", ", ids.Take(5))}");
            var (_, cancelled) = await DashboardChanges.RunAsync(http, "cancel", async ct =>
            {
                var done = 0;
                foreach (var id in ids)
                {
                    done += await scheduler.CancelAsync(id, ct).ConfigureAwait(false) ? 1 : 0;
                }

                return ($"{done} cancelled, {ids.Count - done} already sent or gone", done);
            }).ConfigureAwait(false);
            return DashboardJson.Ok(new { cancelled, missing = ids.Count - cancelled });
        }).AsChange(options);
    }

    private static IResult NoStore() =>
        DashboardProblems.NotFound("This service has no store: sagas and scheduled messages live in one (UseSqliteStore, UsePostgreSqlStore).");
}
