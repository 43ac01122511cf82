using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CoffeeShop.Cli;

/// <summary>Where the running suite's counter is.</summary>
public class CounterSettings : CommandSettings
{
    [CommandOption("--counter <URL>")]
    [Description("The counter (default http://127.0.0.1:5200, where the AppHost puts it).")]
    public string Counter { get; init; } = "http://127.0.0.1:5200";
}

/// <summary><c>coffeeshop demo</c>: three orders (one with a card that is declined) and their timelines; exit 1 if any does not end within a minute.</summary>
public sealed class DemoCommand : AsyncCommand<CounterSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CounterSettings settings, CancellationToken cancellationToken)
    {
        using var shop = new ShopClient(new Uri(settings.Counter));
        var orders = new List<TrackedOrder>();
        foreach (var (customer, card) in new[] { ("Ada", "tok_visa"), ("Bob", "tok_declined"), ("Cy", "tok_visa") })
        {
            var order = await shop.PlaceAsync(customer, orders.Count, card, cancellationToken: cancellationToken);
            if (order.Answer != 202)
            {
                AnsiConsole.MarkupLine($"[red]The counter at {settings.Counter.EscapeMarkup()} answered {order.Answer} (is the suite running? dotnet run --project samples/CoffeeShop/CoffeeShop.AppHost)[/]");
                return 2;
            }

            AnsiConsole.MarkupLine($"[green]202 Accepted[/] in {order.AnswerTime.TotalMilliseconds:F0} ms: [bold]{order.Id.EscapeMarkup()}[/]");
            orders.Add(order);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        var failed = 0;
        foreach (var order in orders)
        {
            try
            {
                var timeline = await shop.TimelineAsync(order, deadline.Token);
                await shop.RefreshAsync(order, deadline.Token);
                var table = new Table().Title($"{order.Id} ({order.Outcome ?? "not finished"})").AddColumns("at", "what", "message");
                foreach (var (kind, message, at) in timeline)
                {
                    table.AddRow(at.ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture), kind, message);
                }

                AnsiConsole.Write(table);
                failed += order.Outcome is null ? 1 : 0;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                AnsiConsole.MarkupLine($"[red]{order.Id.EscapeMarkup()} did not end within a minute.[/]");
                failed++;
            }
        }

        return failed == 0 ? 0 : 1;
    }
}

/// <summary>The shape of a load.</summary>
public class LoadSettings : CounterSettings
{
    [CommandOption("--orders <N>")]
    [Description("How many orders (default 200).")]
    public int Orders { get; init; } = 200;

    [CommandOption("--rate <R>")]
    [Description("Orders a second (default 20).")]
    public int Rate { get; init; } = 20;

    [CommandOption("--declined-every <N>")]
    [Description("Every Nth order pays with a card that is declined (default 0: none).")]
    public int DeclinedEvery { get; init; }

    public override ValidationResult Validate() =>
        Orders < 1 || Rate < 1 ? ValidationResult.Error("--orders and --rate must be at least 1.") : ValidationResult.Success();
}

/// <summary><c>coffeeshop load</c>: orders at a steady rate against the running suite, with a progress bar and a summary.</summary>
public sealed class LoadCommand : AsyncCommand<LoadSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, LoadSettings settings, CancellationToken cancellationToken)
    {
        using var shop = new ShopClient(new Uri(settings.Counter));
        var report = await Reports.WithProgressAsync($"{settings.Orders} orders at {settings.Rate}/s", settings.Orders,
            progress => new LoadDriver(shop).RunAsync(settings.Orders, settings.Rate, TimeSpan.FromSeconds(60), progress, cancellationToken, settings.DeclinedEvery));
        Reports.Summary(report);
        return report.Finished == report.Accepted && report.Errors == 0 ? 0 : 1;
    }
}
