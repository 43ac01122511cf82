using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Cli.Output;

namespace Tidings.Cli.Operations;

/// <summary>One saga's instances, a page at a time.</summary>
public sealed class SagaListSettings : PagedSettings
{
    /// <summary>The saga's name.</summary>
    [CommandArgument(0, "[SAGA]")]
    [Description("The saga's name; without it, every saga's instances counted by status.")]
    public string? Saga { get; init; }

    /// <summary>Only instances in this status.</summary>
    [CommandOption("--status <STATUS>")]
    [Description("Only instances in this status: active, completed or compensated.")]
    public SagaStatus? Status { get; init; }
}

/// <summary><c>tidings sagas list [SAGA]</c>: the instances of a saga, newest first; without a saga, the counts by saga and status.</summary>
public sealed class SagaListCommand : AsyncCommand<SagaListSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, SagaListSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Store, cancellationToken);
        if (settings.Saga is null)
        {
            var counts = (await connection.Store.GetStatisticsAsync(cancellationToken)).Sagas;
            if (settings.Json)
            {
                JsonOutput.Write(new { sagas = counts.Select(s => new { saga = s.Saga, status = Name(s.Status), count = s.Count }) });
                return ExitCodes.Success;
            }

            var chart = new BreakdownChart().FullSize();
            var colors = new Dictionary<SagaStatus, Color> { [SagaStatus.Active] = Color.Yellow, [SagaStatus.Completed] = Color.Green, [SagaStatus.Compensated] = Color.Red };
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Saga", "Active", "Completed", "Compensated");
            foreach (var saga in counts.GroupBy(s => s.Saga))
            {
                string Count(SagaStatus status) => QueuesCommand.Number(saga.Where(s => s.Status == status).Sum(s => s.Count));
                table.AddRow(saga.Key, Count(SagaStatus.Active), Count(SagaStatus.Completed), Count(SagaStatus.Compensated));
            }

            foreach (var status in counts.GroupBy(s => s.Status))
            {
                chart.AddItem(Name(status.Key), status.Sum(s => s.Count), colors[status.Key]);
            }

            AnsiConsole.Write(counts.Count == 0 ? new Text("No saga instances.") : table);
            if (counts.Count > 0)
            {
                AnsiConsole.Write(chart);
            }

            return ExitCodes.Success;
        }

        SagaInstancePage page;
        try
        {
            page = await connection.Sagas.ListAsync(settings.Saga, settings.Status, settings.After, settings.Limit, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw new ToolException(ExitCodes.Usage, ex.Message, ex);
        }

        if (settings.Json)
        {
            JsonOutput.Write(new { items = page.Instances.Select(Summary), next = page.Next });
            return ExitCodes.Success;
        }

        if (page.Instances.Count == 0)
        {
            AnsiConsole.MarkupLine($"No instances of the saga '{settings.Saga.EscapeMarkup()}'{(settings.Status is { } s ? $" that are {Name(s)}" : "")}.");
            return ExitCodes.Success;
        }

        var instances = new Table().Border(TableBorder.Rounded).AddColumns("Correlation id", "Status", "Started (UTC)", "Updated (UTC)");
        foreach (var i in page.Instances)
        {
            instances.AddRow(new Text(i.CorrelationId), new Text(Name(i.Status)), new Text(DeadLetterViews.Time(i.StartedAt)), new Text(DeadLetterViews.Time(i.UpdatedAt)));
        }

        AnsiConsole.Write(instances);
        Paging.PrintNext(page.Next);

        return ExitCodes.Success;
    }

    internal static string Name(SagaStatus status) => status.ToString().ToLowerInvariant();

    internal static object Summary(SagaInstanceSummary i) => new
    {
        saga = i.SagaName, correlation_id = i.CorrelationId, instance_id = i.InstanceId, status = Name(i.Status), started_at = i.StartedAt, updated_at = i.UpdatedAt,
    };
}

/// <summary>One saga instance.</summary>
public sealed class SagaShowSettings : ConnectionSettings
{
    /// <summary>The saga's name.</summary>
    [CommandArgument(0, "<SAGA>")]
    [Description("The saga's name.")]
    public string Saga { get; init; } = "";

    /// <summary>The instance's correlation id.</summary>
    [CommandArgument(1, "<CORRELATION-ID>")]
    [Description("The instance's correlation id.")]
    public string CorrelationId { get; init; } = "";
}

/// <summary><c>tidings sagas show SAGA ID</c>: an instance's state, pending timeouts, compensations and history.</summary>
public sealed class SagaShowCommand : AsyncCommand<SagaShowSettings>
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, SagaShowSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Store, cancellationToken);
        var instance = await connection.Sagas.GetAsync(settings.Saga, settings.CorrelationId, cancellationToken)
            ?? throw new ToolException(ExitCodes.NotFound, $"No instance '{settings.CorrelationId}' of the saga '{settings.Saga}' in {connection.Address.DescribeStore()}.");
        if (settings.Json)
        {
            JsonOutput.Write(new
            {
                summary = SagaListCommand.Summary(instance.Summary), state = instance.State, pending_timeouts = instance.PendingTimeouts,
                compensations = instance.Compensations.Select(c => new { step = c.Step, message_name = c.MessageName, destination = c.Destination, recorded_at = c.RecordedAt, sent_at = c.SentAt, reason = c.Reason }),
                history = instance.History.Select(h => new { at = h.At, kind = h.Kind, message_name = h.MessageName, message_id = h.MessageId, detail = h.Detail }),
                earlier_entries = instance.EarlierEntries,
            });
            return ExitCodes.Success;
        }

        var s = instance.Summary;
        AnsiConsole.MarkupLine($"[bold]{s.SagaName.EscapeMarkup()}[/] {s.CorrelationId.EscapeMarkup()}: [bold]{SagaListCommand.Name(s.Status)}[/], started {DeadLetterViews.Time(s.StartedAt)} UTC, updated {DeadLetterViews.Time(s.UpdatedAt)} UTC");
        AnsiConsole.Write(new Panel(new Text(JsonSerializer.Serialize(instance.State, Indented))).Header("State").Expand());
        if (instance.PendingTimeouts.Count > 0)
        {
            AnsiConsole.MarkupLine($"Pending timeouts: {string.Join(", ", instance.PendingTimeouts).EscapeMarkup()}");
        }

        if (instance.Compensations.Count > 0)
        {
            var compensations = new Table().Border(TableBorder.Simple).Title("Compensations").AddColumns("Step", "Message", "To", "Recorded", "Sent", "Why");
            foreach (var c in instance.Compensations)
            {
                compensations.AddRow(new Text(c.Step), new Text(c.MessageName), new Text(c.Destination), new Text(DeadLetterViews.Time(c.RecordedAt)),
                    new Text(DeadLetterViews.Time(c.SentAt)), new Text(c.Reason ?? "-"));
            }

            AnsiConsole.Write(compensations);
        }

        var history = new Table().Border(TableBorder.Simple).Title(instance.EarlierEntries > 0 ? $"History (the latest; {instance.EarlierEntries.ToString(CultureInfo.InvariantCulture)} earlier)" : "History")
            .AddColumns("At (UTC)", "What", "Message", "Detail");
        foreach (var h in instance.History)
        {
            history.AddRow(new Text(DeadLetterViews.Time(h.At)), new Text(h.Kind), new Text(h.MessageName), new Text(h.Detail ?? ""));
        }

        AnsiConsole.Write(history);
        return ExitCodes.Success;
    }
}
