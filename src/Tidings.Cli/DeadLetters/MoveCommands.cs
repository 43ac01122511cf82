using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Cli.Output;
using Tidings.DeadLetters;

namespace Tidings.Cli.DeadLetters;

/// <summary>Which dead letters to replay or purge: their ids, a filter, or <c>--all</c>; and whether to ask first.</summary>
public sealed class MoveSettings : DeadLetterFilterSettings
{
    /// <summary>The dead letters' ids.</summary>
    [CommandArgument(0, "[IDS]")]
    [Description("The dead letters' ids (as dead-letters list shows them); or use a filter, or --all.")]
    public string[] Ids { get; init; } = [];

    /// <summary>Every dead letter, when no id or filter is given.</summary>
    [CommandOption("--all")]
    [Description("Every dead letter (of every endpoint), when no id or filter narrows it.")]
    public bool All { get; init; }

    /// <summary>Do not ask.</summary>
    [CommandOption("-y|--yes")]
    [Description("Do not ask for confirmation.")]
    public bool Yes { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var ways = (Ids.Length > 0 ? 1 : 0) + (Filters ? 1 : 0) + (All ? 1 : 0);
        return ways switch
        {
            0 => ValidationResult.Error("Say which dead letters: their ids, a filter (--endpoint, --group, --exception, ...), or --all."),
            > 1 => ValidationResult.Error("Give ids, a filter or --all: one of them."),
            _ => base.Validate(),
        };
    }
}

/// <summary><c>tidings dead-letters replay</c>: back to the queues they failed in, with their message ids and a replay count.</summary>
public sealed class ReplayCommand : AsyncCommand<MoveSettings>
{
    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, MoveSettings settings, CancellationToken cancellationToken) =>
        DeadLetterMove.RunAsync(settings, replay: true, cancellationToken);
}

/// <summary><c>tidings dead-letters purge</c>: removes them for good.</summary>
public sealed class PurgeCommand : AsyncCommand<MoveSettings>
{
    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, MoveSettings settings, CancellationToken cancellationToken) =>
        DeadLetterMove.RunAsync(settings, replay: false, cancellationToken);
}

/// <summary>A replay or purge: count what is selected, ask, move with progress, and say what was done.</summary>
internal static class DeadLetterMove
{
    public static async Task<int> RunAsync(MoveSettings settings, bool replay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (verb, past) = replay ? ("replay", "replayed") : ("purge", "purged");
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.DeadLetters, cancellationToken).ConfigureAwait(false);
        var (selection, count) = await SelectAsync(settings, connection, cancellationToken).ConfigureAwait(false);
        if (count == 0)
        {
            Say(settings, replay ? new { replayed = 0L, queue_missing = 0L } : new { purged = 0L }, "No dead letters match: nothing to do.");
            return ExitCodes.Success;
        }

        var what = $"{count:N0} dead letter{(count == 1 ? "" : "s")}";
        var question = replay ? $"Replay {what} to the queues they failed in?" : $"Purge {what}? They cannot be brought back.";
        if (!Confirmation.Ask(question, settings.Yes))
        {
            throw new ToolException(ExitCodes.NotConfirmed, $"Not confirmed: nothing was {past}. Give --yes to {verb} without being asked.");
        }

        var dead = connection.DeadLetters;
        var outcome = replay
            ? await MoveProgress.RunAsync(past, count, p => dead.ReplayAsync(selection, p, cancellationToken)).ConfigureAwait(false)
            : new ReplayOutcome(await MoveProgress.RunAsync(past, count, p => dead.PurgeAsync(selection, p, cancellationToken)).ConfigureAwait(false), 0);
        var done = $"{char.ToUpperInvariant(past[0])}{past[1..]} {outcome.Replayed:N0} dead letter{(outcome.Replayed == 1 ? "" : "s")}"
            + (replay ? " to the queues they failed in." : ".");
        if (outcome.QueueMissing > 0)
        {
            done += $" {outcome.QueueMissing:N0} stayed: the queue they failed in no longer exists.";
        }

        Say(settings, replay ? new { replayed = outcome.Replayed, queue_missing = outcome.QueueMissing } : new { purged = outcome.Replayed }, done);
        return outcome.QueueMissing > 0 ? ExitCodes.NotFound : ExitCodes.Success;
    }

    private static async Task<(DeadLetterSelection Selection, long Count)> SelectAsync(MoveSettings settings, ToolConnection connection, CancellationToken cancellationToken)
    {
        if (settings.Ids.Length == 0)
        {
            var query = settings.All ? DeadLetterQuery.All : await settings.ToQueryAsync(connection, cancellationToken).ConfigureAwait(false);

            // What was counted is what is confirmed and moved: not the dead letters that arrive while the question waits.
            var now = connection.Now;
            query = query with { Until = query.Until is { } until && until < now ? until : now };
            return (DeadLetterSelection.Matching(query), await connection.DeadLetters.CountAsync(query, cancellationToken).ConfigureAwait(false));
        }

        var ids = settings.Ids.Distinct(StringComparer.Ordinal).ToList();
        var missing = new List<string>();
        foreach (var id in ids)
        {
            if (await connection.DeadLetters.GetAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(id);
            }
        }

        return missing.Count == 0 ? (DeadLetterSelection.Of(ids), ids.Count)
            : throw new ToolException(ExitCodes.NotFound, $"No dead letter {string.Join(", ", missing.Select(m => $"'{m}'"))} on {connection.Address.Describe()}: nothing was done.");
    }

    private static void Say(MoveSettings settings, object json, string text)
    {
        if (settings.Json)
        {
            JsonOutput.Write(json);
        }
        else
        {
            AnsiConsole.MarkupLine(text.EscapeMarkup());
        }
    }
}
