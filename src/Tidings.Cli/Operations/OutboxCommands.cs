using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Cli.Output;
using Tidings.Operations;

namespace Tidings.Cli.Operations;

/// <summary>
/// <c>tidings outbox</c>: how the service's store stands (the outbox backlog and its oldest message, parked messages,
/// scheduled messages due and pending, saga instances by status), and the parked messages with their reasons.
/// </summary>
public sealed class OutboxCommand : AsyncCommand<ConnectionSettings>
{
    private const int Shown = 50;

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Store, cancellationToken);
        var statistics = await connection.Store.GetStatisticsAsync(cancellationToken);
        var parked = await connection.Store.ListParkedAsync(Shown, 0, cancellationToken);
        var now = connection.Now;
        if (settings.Json)
        {
            JsonOutput.Write(new
            {
                outbox = new { backlog = statistics.Outbox.Count, oldest_age_seconds = Math.Round(statistics.Outbox.OldestAge(now).TotalSeconds, 3) },
                parked = new { count = statistics.Parked.Count, oldest_age_seconds = Math.Round(statistics.Parked.OldestAge(now).TotalSeconds, 3), messages = parked.Select(Parked) },
                scheduled = new { due = statistics.ScheduledDue, pending = statistics.ScheduledPending },
                sagas = statistics.Sagas.Select(s => new { saga = s.Saga, status = s.Status.ToString().ToLowerInvariant(), count = s.Count }),
            });
            return ExitCodes.Success;
        }

        var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        facts.AddRow(new Markup("[bold]Outbox[/]"), new Text($"{QueuesCommand.Number(statistics.Outbox.Count)} waiting for the transport" +
            (statistics.Outbox.Count > 0 ? $", the oldest for {QueuesCommand.Age(statistics.Outbox.OldestAge(now))}" : "")));
        facts.AddRow(new Markup("[bold]Parked[/]"), statistics.Parked.Count == 0 ? new Text("none")
            : new Markup($"[red]{QueuesCommand.Number(statistics.Parked.Count)}[/] refused by the transport, the oldest for {QueuesCommand.Age(statistics.Parked.OldestAge(now))}"));
        facts.AddRow(new Markup("[bold]Scheduled[/]"), new Text($"{QueuesCommand.Number(statistics.ScheduledDue)} due, {QueuesCommand.Number(statistics.ScheduledPending)} later"));
        facts.AddRow(new Markup("[bold]Sagas[/]"), new Text(statistics.Sagas.Count == 0 ? "none"
            : string.Join(", ", statistics.Sagas.Select(s => $"{s.Saga} {s.Status.ToString().ToLowerInvariant()} {QueuesCommand.Number(s.Count)}"))));
        AnsiConsole.Write(new Panel(facts).Header(connection.Address.DescribeStore().EscapeMarkup()));
        if (parked.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Seq", "Destination", "Message", "Committed (UTC)", "Attempts", "Next try (UTC)", "Why");
            foreach (var p in parked)
            {
                table.AddRow(new Text(p.Sequence.ToString(CultureInfo.InvariantCulture)), new Text(p.Destination), new Text(p.MessageName), new Text(DeadLetterViews.Time(p.SentAt)),
                    new Text(p.Attempts.ToString(CultureInfo.InvariantCulture)), new Text(DeadLetterViews.Time(p.NextAttemptAt)), new Text(p.LastError ?? "-"));
            }

            AnsiConsole.Write(table.Caption(statistics.Parked.Count > Shown ? $"the first {Shown} of {statistics.Parked.Count:N0} parked" : "parked outbox messages"));
        }

        return ExitCodes.Success;
    }

    private static object Parked(ParkedOutboxMessage p) => new
    {
        sequence = p.Sequence, destination = p.Destination, message_name = p.MessageName, message_id = p.MessageId, sent_at = p.SentAt,
        attempts = p.Attempts, last_error = p.LastError, next_attempt_at = p.NextAttemptAt,
    };
}

/// <summary>Which parked messages to retry or purge: their sequences or <c>--all</c>.</summary>
public sealed class ParkedSettings : ConnectionSettings
{
    /// <summary>The parked messages' sequences.</summary>
    [CommandArgument(0, "[SEQUENCES]")]
    [Description("The parked messages' sequences, as tidings outbox shows them; or --all.")]
    public long[] Sequences { get; init; } = [];

    /// <summary>Every parked message.</summary>
    [CommandOption("--all")]
    [Description("Every parked message.")]
    public bool All { get; init; }

    /// <summary>Do not ask.</summary>
    [CommandOption("-y|--yes")]
    [Description("Do not ask for confirmation.")]
    public bool Yes { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate() =>
        (Sequences.Length > 0) == All ? ValidationResult.Error("Say which parked messages: their sequences, or --all (one of them).") : base.Validate();
}

/// <summary><c>tidings outbox retry</c>: parked messages due now; the service's relay sends them on its next pass.</summary>
public sealed class OutboxRetryCommand : AsyncCommand<ParkedSettings>
{
    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, ParkedSettings settings, CancellationToken cancellationToken) =>
        ParkedChange.RunAsync(settings, retry: true, cancellationToken);
}

/// <summary><c>tidings outbox purge</c>: parked messages removed, never to be sent.</summary>
public sealed class OutboxPurgeCommand : AsyncCommand<ParkedSettings>
{
    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, ParkedSettings settings, CancellationToken cancellationToken) =>
        ParkedChange.RunAsync(settings, retry: false, cancellationToken);
}

internal static class ParkedChange
{
    public static async Task<int> RunAsync(ParkedSettings settings, bool retry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Store, cancellationToken);
        // The messages parked now are the ones confirmed and changed, not those parked while the question waits.
        var parked = new HashSet<long>();
        for (long after = 0; ;)
        {
            var page = await connection.Store.ListParkedAsync(500, after, cancellationToken);
            parked.UnionWith(page.Select(p => p.Sequence));
            if (page.Count < 500)
            {
                break;
            }

            after = page[^1].Sequence;
        }

        var missing = settings.Sequences.Where(s => !parked.Contains(s)).ToList();
        if (missing.Count > 0)
        {
            throw new ToolException(ExitCodes.NotFound, $"No parked outbox message {string.Join(", ", missing)} in {connection.Address.DescribeStore()}: nothing was done.");
        }

        IReadOnlyCollection<long> sequences = settings.All ? parked : settings.Sequences.Distinct().ToList();
        var count = sequences.Count;
        var what = $"{count:N0} parked message{(count == 1 ? "" : "s")}";
        if (count == 0)
        {
            Say(settings, retry, 0, "No parked messages: nothing to do.");
            return ExitCodes.Success;
        }

        if (!Confirmation.Ask(retry ? $"Retry {what} now?" : $"Purge {what}? They will not be sent.", settings.Yes))
        {
            throw new ToolException(ExitCodes.NotConfirmed, $"Not confirmed: nothing was {(retry ? "retried" : "purged")}. Give --yes to go ahead without being asked.");
        }

        var changed = retry
            ? await connection.Store.RetryParkedAsync(sequences, cancellationToken)
            : await connection.Store.PurgeParkedAsync(sequences, cancellationToken);
        Say(settings, retry, changed, retry
            ? $"Retried {changed:N0} parked message{(changed == 1 ? "" : "s")}: the service's relay sends them on its next pass."
            : $"Purged {changed:N0} parked message{(changed == 1 ? "" : "s")}.");
        return ExitCodes.Success;
    }

    private static void Say(ParkedSettings settings, bool retry, long changed, string text)
    {
        if (settings.Json)
        {
            JsonOutput.Write(retry ? new { retried = changed } : new { purged = changed });
        }
        else
        {
            AnsiConsole.MarkupLine(text.EscapeMarkup());
        }
    }
}
