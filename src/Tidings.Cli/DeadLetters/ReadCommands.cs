using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Cli.Output;

namespace Tidings.Cli.DeadLetters;

/// <summary><c>tidings dead-letters groups</c>: the dead letters grouped by failure, largest group first.</summary>
public sealed class GroupsCommand : AsyncCommand<DeadLetterFilterSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, DeadLetterFilterSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.DeadLetters, cancellationToken).ConfigureAwait(false);
        var query = await settings.ToQueryAsync(connection, cancellationToken).ConfigureAwait(false);
        var groups = (await connection.DeadLetters.GroupsAsync(query, cancellationToken).ConfigureAwait(false)).OrderByDescending(g => g.Count).ToList();
        if (settings.Json)
        {
            JsonOutput.Write(new { groups = groups.Select(DeadLetterViews.Group), dead_letters = groups.Sum(g => g.Count) });
        }
        else if (groups.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]No dead letters.[/]");
        }
        else
        {
            AnsiConsole.Write(DeadLetterViews.GroupsTable(groups).Caption($"{groups.Count} failure groups, {groups.Sum(g => g.Count):N0} dead letters"));
        }

        return ExitCodes.Success;
    }
}

/// <summary>A page of the list.</summary>
public sealed class ListSettings : DeadLetterFilterSettings
{
    /// <summary>How many to show.</summary>
    [CommandOption("-n|--limit <N>")]
    [Description("How many to show (default 50, at most 500).")]
    [DefaultValue(50)]
    public int Limit { get; init; } = 50;

    /// <summary>The cursor the previous page ended with.</summary>
    [CommandOption("--after <CURSOR>")]
    [Description("The next page: the cursor the previous page printed.")]
    public string? After { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate() => Paging.Check(Limit) ?? base.Validate();
}

/// <summary><c>tidings dead-letters list</c>: newest first, a page at a time.</summary>
public sealed class ListCommand : AsyncCommand<ListSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ListSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.DeadLetters, cancellationToken).ConfigureAwait(false);
        var query = await settings.ToQueryAsync(connection, cancellationToken).ConfigureAwait(false);
        var page = await connection.DeadLetters.ListAsync(query, settings.Limit, settings.After, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            JsonOutput.Write(new { items = page.Items.Select(DeadLetterViews.Summary), next = page.Next });
            return ExitCodes.Success;
        }

        if (page.Items.Count == 0)
        {
            AnsiConsole.MarkupLine(settings.After is null ? "[green]No dead letters.[/]" : "No more dead letters.");
            return ExitCodes.Success;
        }

        var total = await connection.DeadLetters.CountAsync(query, cancellationToken).ConfigureAwait(false);
        AnsiConsole.Write(DeadLetterViews.ListTable(page.Items).Caption($"{page.Items.Count} of {total:N0}, newest first"));
        Paging.PrintNext(page.Next);

        return ExitCodes.Success;
    }
}

/// <summary>One dead letter, by id.</summary>
public sealed class ShowSettings : ConnectionSettings
{
    /// <summary>Its id, as the list shows it.</summary>
    [CommandArgument(0, "<ID>")]
    [Description("The dead letter's id, as dead-letters list shows it.")]
    public string Id { get; init; } = "";
}

/// <summary><c>tidings dead-letters show ID</c>: its headers, body, exception and stack, attempts and replays.</summary>
public sealed class ShowCommand : AsyncCommand<ShowSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, ShowSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.DeadLetters, cancellationToken).ConfigureAwait(false);
        var deadLetter = await connection.DeadLetters.GetAsync(settings.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new ToolException(ExitCodes.NotFound, $"No dead letter '{settings.Id}' on {connection.Address.Describe()}.");
        if (settings.Json)
        {
            JsonOutput.Write(DeadLetterViews.Details(deadLetter));
        }
        else
        {
            foreach (var part in DeadLetterViews.Show(deadLetter))
            {
                AnsiConsole.Write(part);
            }
        }

        return ExitCodes.Success;
    }
}
