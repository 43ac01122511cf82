using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tidings.DeadLetters;

namespace Tidings.Dashboard;

/// <summary>Which dead letters a replay or purge takes: their ids, a failure group, an endpoint, or all of them.</summary>
/// <param name="Ids">The dead letters' ids.</param>
/// <param name="Group">A failure group's id.</param>
/// <param name="Endpoint">An endpoint.</param>
/// <param name="All">Every dead letter.</param>
public sealed record FailureSelection(IReadOnlyList<string>? Ids = null, string? Group = null, string? Endpoint = null, bool All = false)
{
    /// <inheritdoc />
    public override string ToString() =>
        Ids is { Count: > 0 } ids ? $"{ids.Count} dead letter(s) {string.Join(", ", ids.Take(5))}{(ids.Count > 5 ? ", ..." : "")}"
        : Group is not null ? $"failure group {Group}{(Endpoint is null ? "" : $" of endpoint {Endpoint}")}"
        : Endpoint is not null ? $"every dead letter of endpoint {Endpoint}"
        : All ? "every dead letter" : "nothing";
}

/// <summary>The Failures page's API: failure groups, pages of dead letters, one dead letter, replay and purge.</summary>
internal static class FailureEndpoints
{
    public static void Map(RouteGroupBuilder api, TidingsDashboardOptions options)
    {
        api.MapGet("failures/groups", async (IDeadLetters deadLetters, string? endpoint, CancellationToken cancellationToken) =>
        {
            var groups = await deadLetters.GroupsAsync(new DeadLetterQuery { Endpoint = endpoint }, cancellationToken).ConfigureAwait(false);
            return DashboardJson.Ok(groups.Select(g => new
            {
                id = g.Key.Id, g.Count, g.Key.Reason, g.Key.ExceptionType, g.Key.UserFrame, g.First, g.Last, g.Endpoints,
            }));
        });

        api.MapGet("failures", async (IDeadLetters deadLetters, string? endpoint, string? group, string? after, string? limit, CancellationToken cancellationToken) =>
        {
            if (DashboardJson.Limit(limit) is not { } size)
            {
                return DashboardProblems.BadLimit();
            }

            var query = await QueryAsync(deadLetters, endpoint, group, cancellationToken).ConfigureAwait(false);
            if (query is null)
            {
                return DashboardProblems.NotFound($"No failure group '{group}'.");
            }

            DeadLetterPage page;
            try
            {
                page = await deadLetters.ListAsync(query, size, after, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                return DashboardProblems.BadRequest(ex.Message);
            }

            return DashboardJson.Ok(new { items = page.Items.Select(d => Summary(d, Redact(options, d))), next = page.Next });
        });

        // Catch-all: an id may hold a slash (the in-memory transport's are endpoint/sequence).
        api.MapGet("failures/{**id}", async (IDeadLetters deadLetters, string id, CancellationToken cancellationToken) =>
        {
            if (await deadLetters.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } d)
            {
                return DashboardProblems.NotFound($"No dead letter '{id}'.");
            }

            var shown = Redact(options, d);
            return DashboardJson.Ok(new
            {
                summary = Summary(d, shown), exception = shown.Headers.GetValueOrDefault(TidingsHeaders.ExceptionStackTrace),
                headers = shown.Headers, body = shown.Body,
            });
        });

        api.MapPost("failures/replay", (HttpContext http, IDeadLetters deadLetters, CancellationToken cancellationToken) =>
            ChangeAsync(http, deadLetters, "replay", async (chosen, ct) =>
            {
                var outcome = await deadLetters.ReplayAsync(chosen, cancellationToken: ct).ConfigureAwait(false);
                return ($"{outcome.Replayed} replayed, {outcome.QueueMissing} left for want of their queue", outcome);
            }, cancellationToken))
            .AsChange(options);

        api.MapPost("failures/purge", (HttpContext http, IDeadLetters deadLetters, CancellationToken cancellationToken) =>
            ChangeAsync(http, deadLetters, "purge", async (chosen, ct) =>
            {
                var purged = await deadLetters.PurgeAsync(chosen, cancellationToken: ct).ConfigureAwait(false);
                return ($"{purged} purged", new { purged });
            }, cancellationToken))
            .AsChange(options);
    }

    /// <summary>A dead letter as the dashboard may show it: through the redactor, body as text.</summary>
    private static DashboardMessage Redact(TidingsDashboardOptions options, DeadLetter d) =>
        options.Redactor(d, new DashboardMessage(d.Envelope.Headers, Text(d.Envelope.Body)));

    /// <summary>The facts of a dead letter; those its headers carry are read from the redacted headers.</summary>
    private static object Summary(DeadLetter d, DashboardMessage shown) => new
    {
        d.Id, d.Endpoint, d.Envelope.MessageId, d.Envelope.MessageName, d.DeadLetteredAt,
        reason = shown.Headers.GetValueOrDefault(TidingsHeaders.DeadLetterReason) ?? "unknown",
        exceptionType = shown.Headers.GetValueOrDefault(TidingsHeaders.ExceptionType),
        exceptionMessage = shown.Headers.GetValueOrDefault(TidingsHeaders.ExceptionMessage), d.Attempts, d.ReplayCount, group = d.Group.Id,
    };

    /// <summary>Reads the selection, logs the change asked for, makes it, and logs what it did.</summary>
    private static async Task<IResult> ChangeAsync<T>(
        HttpContext http, IDeadLetters deadLetters, string action, Func<DeadLetterSelection, CancellationToken, Task<(string Outcome, T Result)>> change,
        CancellationToken cancellationToken)
    {
        var (selection, problem) = await DashboardJson.ReadAsync<FailureSelection>(http.Request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (await SelectAsync(deadLetters, selection!, cancellationToken).ConfigureAwait(false) is not { } chosen)
        {
            return Unselected(selection!);
        }

        DashboardChanges.LogAsked(http, action, selection!.ToString());
        var (outcome, result) = await DashboardChanges.RunAsync(http, action, ct => change(chosen, ct)).ConfigureAwait(false);
        return DashboardJson.Ok(result);
    }

    /// <summary>The query for an endpoint and a failure group's id; null if there is no such group.</summary>
    private static async Task<DeadLetterQuery?> QueryAsync(IDeadLetters deadLetters, string? endpoint, string? group, CancellationToken cancellationToken)
    {
        var query = new DeadLetterQuery { Endpoint = endpoint };
        if (group is null)
        {
            return query;
        }

        var groups = await deadLetters.GroupsAsync(query, cancellationToken).ConfigureAwait(false);
        return groups.FirstOrDefault(g => string.Equals(g.Key.Id, group, StringComparison.OrdinalIgnoreCase)) is { } found ? query with { Group = found.Key } : null;
    }

    /// <summary>The selection said out loud (ids, a group, an endpoint, or all); null if none was, or the group is unknown.</summary>
    private static async Task<DeadLetterSelection?> SelectAsync(IDeadLetters deadLetters, FailureSelection selection, CancellationToken cancellationToken)
    {
        if (selection.Ids is { Count: > 0 } ids)
        {
            return DeadLetterSelection.Of(ids);
        }

        if (selection.Group is null && selection.Endpoint is null && !selection.All)
        {
            return null;
        }

        return await QueryAsync(deadLetters, selection.Endpoint, selection.Group, cancellationToken).ConfigureAwait(false) is { } query
            ? DeadLetterSelection.Matching(query)
            : null;
    }

    private static IResult Unselected(FailureSelection selection) => selection.Group is not null
        ? DashboardProblems.NotFound($"No failure group '{selection.Group}'.")
        : DashboardProblems.BadRequest("Say which dead letters: ids, a group, an endpoint, or all.");

    private static string? Text(ReadOnlyMemory<byte> body)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body.Span);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
