using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CoffeeShop.Cli;

/// <summary>The shape of the chaos run.</summary>
public sealed class ChaosSettings : CommandSettings
{
    [CommandOption("--orders <N>")]
    [Description("How many orders (default 300).")]
    public int Orders { get; init; } = 300;

    [CommandOption("--rate <R>")]
    [Description("Orders a second (default 10).")]
    public int Rate { get; init; } = 10;
}

/// <summary>
/// <c>coffeeshop chaos</c>: the essay's failure isolation, made visible. Starts the suite of its own, places orders at a
/// steady rate, kills barista-1 with <c>kill -9</c> a third of the way in and starts it again at two thirds. Every order
/// still ends: the counter took them all at once, and the queue kept barista-1's share for the other and for its return.
/// </summary>
public sealed class ChaosCommand : AsyncCommand<ChaosSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ChaosSettings settings, CancellationToken cancellationToken)
    {
        await using var suite = await SuiteLauncher.StartAsync(new SuiteOptions(), line => AnsiConsole.MarkupLine($"[grey]{line.EscapeMarkup()}[/]"), cancellationToken);
        using var shop = new ShopClient(suite.Counter.Address);
        var span = TimeSpan.FromSeconds(settings.Orders / (double)settings.Rate);
        var chaos = Task.Run(async () =>
        {
            await Task.Delay(span / 3, cancellationToken);
            suite.Baristas[0].Kill();
            AnsiConsole.MarkupLine("[red]kill -9 barista-1[/]");
            await Task.Delay(span / 3, cancellationToken);
            await suite.StartBaristaAsync(0, null, cancellationToken);
            AnsiConsole.MarkupLine("[green]barista-1 is back[/]");
        }, cancellationToken);
        var report = await Reports.WithProgressAsync($"{settings.Orders} orders, a barista killed", settings.Orders,
            progress => new LoadDriver(shop, suite.Outcomes).RunAsync(settings.Orders, settings.Rate, TimeSpan.FromSeconds(90), progress, cancellationToken));
        await chaos;
        Reports.Summary(report);
        var ok = report.Errors == 0 && report.Finished == report.Accepted;
        AnsiConsole.MarkupLine(ok ? "[green]Every accepted order ended.[/]" : $"[red]{report.Accepted - report.Finished} orders did not end.[/]");
        return ok ? 0 : 1;
    }
}
