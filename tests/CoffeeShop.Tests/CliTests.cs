using System.Diagnostics;

namespace CoffeeShop.Tests;

/// <summary>The <c>coffeeshop</c> tool as a person runs it: its exit codes are what scripts rely on.</summary>
public sealed class CliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Demo_shows_three_orders_ending_and_exits_0_and_exits_2_when_there_is_no_counter()
    {
        await using var shop = await RunningShop.StartAsync(baristas: 1, [("Barista__DrinkMs", "50")]);
        var (code, output) = await RunAsync("demo", "--counter", shop.Counter.ToString());
        Assert.True(code == 0, $"exit {code}: {output}");
        Assert.Contains("Ada-", output, StringComparison.Ordinal);
        Assert.Contains("(served)", output, StringComparison.Ordinal);
        Assert.Contains("(written-off)", output, StringComparison.Ordinal);
        Assert.Contains("coffeeshop.drink-ready", output, StringComparison.Ordinal);

        var (refused, said) = await RunAsync("demo", "--counter", "http://127.0.0.1:9");
        Assert.True(refused == 2, $"exit {refused}: {said}");
        Assert.Contains("is the suite running?", said, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var tool = ServiceProcess.PathOf("CoffeeShop.Cli", assembly: "coffeeshop");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(tool);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["COLUMNS"] = "200";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await output + await error);
    }
}
