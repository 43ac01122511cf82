using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;

namespace Tidings.Cli.Output;

/// <summary>A page of a store's list: how many, and where the previous page ended.</summary>
public class PagedSettings : ConnectionSettings
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

/// <summary>What every paged list says and checks alike.</summary>
public static class Paging
{
    /// <summary>An error for a limit out of range, else null.</summary>
    public static ValidationResult? Check(int limit) => limit is < 1 or > 500 ? ValidationResult.Error("--limit must be from 1 to 500.") : null;

    /// <summary>The line that gives the next page's option, when there is a next page.</summary>
    public static void PrintNext(string? next)
    {
        if (next is not null)
        {
            AnsiConsole.MarkupLine($"Next page: [bold]--after {next.EscapeMarkup()}[/]");
        }
    }
}
