using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Cli.Output;

namespace Tidings.Cli.Operations;

/// <summary>A page of scheduled messages.</summary>
public sealed class ScheduledListSettings : PagedSettings;

/// <summary><c>tidings scheduled list</c>: scheduled messages not sent yet, soonest first.</summary>
public sealed class ScheduledListCommand : AsyncCommand<ScheduledListSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ScheduledListSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Store, cancellationToken);
        Tidings.Operations.ScheduledPage page;
        try
        {
            page = await connection.Store.ListScheduledAsync(settings.Limit, settings.After, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw new ToolException(ExitCodes.Usage, ex.Message, ex);
        }

        if (settings.Json)
        {
            JsonOutput.Write(new
            {
                items = page.Items.Select(s => new { id = s.Id, due_at = s.DueAt, destination = s.Destination, message_name = s.MessageName, message_id = s.MessageId }),
                next = page.Next,
            });
            return ExitCodes.Success;
        }

        if (page.Items.Count == 0)
        {
            AnsiConsole.MarkupLine("No scheduled messages.");
            return ExitCodes.Success;
        }

        var now = connection.Now;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Schedule id", "Due (UTC)", "In", "Destination", "Message");
        foreach (var s in page.Items)
        {
            table.AddRow(new Text(s.Id.ToString()), new Text(DeadLetterViews.Time(s.DueAt)), new Text(s.DueAt <= now ? "due" : QueuesCommand.Age(s.DueAt - now)),
                new Text(s.Destination), new Text(s.MessageName));
        }

        AnsiConsole.Write(table);
        Paging.PrintNext(page.Next);

        return ExitCodes.Success;
    }
}

/// <summary>One scheduled message, by its schedule id.</summary>
public sealed class ScheduledCancelSettings : ConnectionSettings
{
    /// <summary>The schedule id.</summary>
    [CommandArgument(0, "<ID>")]
    [Description("The schedule id, as scheduled list shows it.")]
    public Guid Id { get; init; }

    /// <summary>Do not ask.</summary>
    [CommandOption("-y|--yes")]
    [Description("Do not ask for confirmation.")]
    public bool Yes { get; init; }
}

/// <summary><c>tidings scheduled cancel ID</c>: the message is not sent.</summary>
public sealed class ScheduledCancelCommand : AsyncCommand<ScheduledCancelSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ScheduledCancelSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Store, cancellationToken);
        if (!Confirmation.Ask($"Cancel the scheduled message {settings.Id}? It will not be sent.", settings.Yes))
        {
            throw new ToolException(ExitCodes.NotConfirmed, "Not confirmed: nothing was cancelled. Give --yes to go ahead without being asked.");
        }

        if (!await connection.Scheduler.CancelAsync(settings.Id, cancellationToken))
        {
            throw new ToolException(ExitCodes.NotFound, $"No scheduled message {settings.Id} in {connection.Address.DescribeStore()} (sent already, or cancelled).");
        }

        if (settings.Json)
        {
            JsonOutput.Write(new { cancelled = settings.Id });
        }
        else
        {
            AnsiConsole.MarkupLine($"Cancelled the scheduled message {settings.Id}: it will not be sent.");
        }

        return ExitCodes.Success;
    }
}
