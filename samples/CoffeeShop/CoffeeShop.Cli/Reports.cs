using Spectre.Console;

namespace CoffeeShop.Cli;

/// <summary>How the tool shows a run to a person: a progress bar while it goes, a table at the end.</summary>
public static class Reports
{
    public static async Task<LoadReport> WithProgressAsync(string title, int total, Func<Action<int, int>, Task<LoadReport>> run)
    {
        LoadReport? report = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask(title, maxValue: total);
                report = await run((done, all) => task.Value = Math.Min(done, all));
                task.Value = total;
            });
        return report!;
    }

    public static void Summary(LoadReport report)
    {
        var table = new Table().Title("How the orders ended").AddColumns("", "orders");
        table.AddRow("accepted", $"{report.Accepted}");
        table.AddRow("[green]completed (served)[/]", $"{report.Count("served")}");
        table.AddRow("written off (card declined)", $"{report.Count("written-off")}");
        table.AddRow("refunded (drink failed or late)", $"{report.Count("refunded")}");
        table.AddRow("cancelled, all in all", $"{report.Count("written-off") + report.Count("refunded")}");
        table.AddRow("[red]refused or no answer[/]", $"{report.Errors}");
        table.AddRow("[yellow]not finished[/]", $"{report.Accepted - report.Finished}");
        AnsiConsole.Write(table);
        var latency = new Table().Title("Latency, ms").AddColumns("", "p50", "p90", "p99");
        latency.AddRow("POST /orders answered", $"{report.AnswerMs(50)}", $"{report.AnswerMs(90)}", $"{report.AnswerMs(99)}");
        latency.AddRow("order to its end", $"{report.FinishMs(50)}", $"{report.FinishMs(90)}", $"{report.FinishMs(99)}");
        AnsiConsole.Write(latency);
    }
}
