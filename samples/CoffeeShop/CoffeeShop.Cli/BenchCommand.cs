using System.ComponentModel;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CoffeeShop.Cli;

/// <summary>The shape of the benchmark.</summary>
public sealed class BenchSettings : CommandSettings
{
    [CommandOption("--rate <R>")]
    [Description("The offered load of both modes, orders a second (default 8: under the two baristas' 10 a second with 200 ms drinks).")]
    public int Rate { get; init; } = 8;

    [CommandOption("--seconds <S>")]
    [Description("How long the measured load runs (default 20).")]
    public int Seconds { get; init; } = 20;

    [CommandOption("--drink-ms <MS>")]
    [Description("How long a drink takes (default 200, the barista's own default).")]
    public int DrinkMs { get; init; } = 200;

    [CommandOption("--throughput-rate <R>")]
    [Description("The async throughput run's offered load, with instant drinks (default 400: above the 300 target, so that what gets through is what the suite can do, not what was offered; 0: no throughput run).")]
    public int ThroughputRate { get; init; } = 400;

    [CommandOption("--rabbitmq <URI>")]
    [Description("Run the suite on RabbitMQ (an AMQP URI) instead of the SQLite bus file; with --postgres.")]
    public string? RabbitMq { get; init; }

    [CommandOption("--postgres <CONNECTION>")]
    [Description("Run each service on a PostgreSQL database of its own on this server (made for the run, dropped after); with --rabbitmq.")]
    public string? Postgres { get; init; }

    public override ValidationResult Validate()
    {
        if ((RabbitMq is null) != (Postgres is null))
        {
            return ValidationResult.Error("Give --rabbitmq and --postgres together (or neither, for the embedded defaults).");
        }

        var unknown = Runs.Split(',', StringSplitOptions.TrimEntries).Except(AllRuns, StringComparer.OrdinalIgnoreCase).ToList();
        if (unknown.Count > 0)
        {
            return ValidationResult.Error($"--runs takes sync, async and throughput, not {string.Join(", ", unknown)}.");
        }

        if (Rate < 1 || Seconds < 1 || DrinkMs < 0 || WarmupSeconds < 0 || ThroughputRate < 0 || ThroughputOrders < 1)
        {
            return ValidationResult.Error("--rate, --seconds and --throughput-orders are at least 1; --drink-ms, --warmup-seconds and --throughput-rate at least 0.");
        }

        return Includes("throughput") && ThroughputRate == 0 && Runs.Split(',', StringSplitOptions.TrimEntries).Length == 1
            ? ValidationResult.Error("--runs throughput with --throughput-rate 0 runs nothing: give a rate.")
            : ValidationResult.Success();
    }

    private static readonly string[] AllRuns = ["sync", "async", "throughput"];

    [CommandOption("--runs <LIST>")]
    [Description("Which runs, comma-separated: sync, async, throughput (default all three).")]
    public string Runs { get; init; } = "sync,async,throughput";

    /// <summary>Whether <paramref name="run"/> is among <see cref="Runs"/>.</summary>
    public bool Includes(string run) => Runs.Split(',', StringSplitOptions.TrimEntries).Contains(run, StringComparer.OrdinalIgnoreCase);

    [CommandOption("--warmup-seconds <S>")]
    [Description("How long the throughput run's suite is warmed up first, at half its rate (default 20).")]
    public int WarmupSeconds { get; init; } = 20;

    [CommandOption("--throughput-orders <N>")]
    [Description("Orders of the throughput run (default 6000: fifteen seconds at 400/s).")]
    public int ThroughputOrders { get; init; } = 6000;
}

/// <summary>
/// <c>coffeeshop bench</c>: sync against async at the same offered load. For each mode it starts the suite of its own,
/// measures POST /orders and the orders' ends, then stops both baristas for five seconds of orders and starts them
/// again: sync customers get errors or waits, async ones a 202, and their orders end once the baristas are back. Then
/// one async run at a high rate with instant drinks measures what the messaging sustains end to end. One JSON line per
/// run on stdout; progress on stderr.
/// </summary>
public sealed class BenchCommand : AsyncCommand<BenchSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        foreach (var mode in ((string[])["sync", "async"]).Where(settings.Includes))
        {
            var sync = mode == "sync";
            await using var suite = await SuiteLauncher.StartAsync(new SuiteOptions(sync, settings.DrinkMs, RabbitMq: settings.RabbitMq, Postgres: settings.Postgres), line => console.MarkupLine($"[grey]{mode}: {line.EscapeMarkup()}[/]"), cancellationToken);
            using var shop = new ShopClient(suite.Counter.Address);
            var driver = new LoadDriver(shop, suite.Outcomes);
            await driver.RunAsync(settings.Rate, settings.Rate, TimeSpan.FromSeconds(30), null, cancellationToken); // warm-up: a second of orders
            console.MarkupLine($"{mode}: {settings.Rate * settings.Seconds} orders at {settings.Rate}/s");
            var load = await driver.RunAsync(settings.Rate * settings.Seconds, settings.Rate, TimeSpan.FromSeconds(60), null, cancellationToken);

            // The baristas stop; five seconds of orders; they come back.
            console.MarkupLine($"{mode}: both baristas stopped, {settings.Rate * 5} orders");
            suite.Baristas.ForEach(b => b.Kill());
            var whileDown = Task.Run(() => driver.RunAsync(settings.Rate * 5, settings.Rate, TimeSpan.FromSeconds(90), null, cancellationToken), cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            for (var i = 0; i < suite.Baristas.Count; i++)
            {
                await suite.StartBaristaAsync(i, null, cancellationToken);
            }

            var down = await whileDown;
            Console.WriteLine(Row(mode, null, load, settings.Rate, settings.DrinkMs, settings, new
            {
                orders = down.Orders.Count,
                accepted = down.Accepted,
                errors = down.Errors,
                completed = down.Finished,
                answer_p50_ms = down.AnswerMs(50),
                answer_p99_ms = down.AnswerMs(99),
            }));
        }

        if (settings.ThroughputRate > 0 && settings.Includes("throughput"))
        {
            await ThroughputAsync(settings, console, cancellationToken);
        }

        return 0;
    }

    /// <summary>Async at a high offered load with instant drinks: orders that reach their end, per second.</summary>
    private static async Task ThroughputAsync(BenchSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        await using var suite = await SuiteLauncher.StartAsync(new SuiteOptions(Sync: false, DrinkMs: 0, BaristaConcurrency: 8, RabbitMq: settings.RabbitMq, Postgres: settings.Postgres),
            line => console.MarkupLine($"[grey]throughput: {line.EscapeMarkup()}[/]"), cancellationToken);
        using var shop = new ShopClient(suite.Counter.Address);
        var driver = new LoadDriver(shop, suite.Outcomes);
        // Fresh processes spend their first seconds compiling (tiered JIT took two fifths of both cores at first): the
        // warm-up runs at half the rate until that is done, so that the run measures the messaging, not the JIT.
        var warmRate = Math.Max(1, settings.ThroughputRate / 2);
        console.MarkupLine($"throughput: warming up, {settings.WarmupSeconds} s at {warmRate}/s");
        await driver.RunAsync(warmRate * settings.WarmupSeconds, warmRate, TimeSpan.FromSeconds(30), null, cancellationToken);
        console.MarkupLine($"throughput: {settings.ThroughputOrders} orders at {settings.ThroughputRate}/s");
        var run = await driver.RunAsync(settings.ThroughputOrders, settings.ThroughputRate, TimeSpan.FromSeconds(60), null, cancellationToken);
        Console.WriteLine(Row("async", "throughput", run, settings.ThroughputRate, drinkMs: 0, settings, baristaDown: null));
    }

    /// <summary>One run as its JSON line: the same fields, in the same order, for every run.</summary>
    private static string Row(string mode, string? workload, LoadReport run, int rate, int drinkMs, BenchSettings settings, object? baristaDown)
    {
        var row = new Dictionary<string, object?> { ["mode"] = mode };
        if (workload is not null)
        {
            row["workload"] = workload;
        }

        row["orders"] = run.Orders.Count;
        row["rps"] = rate;
        row["p50_ms"] = run.AnswerMs(50);
        row["p99_ms"] = run.AnswerMs(99);
        row["errors"] = run.Errors;
        row["completed"] = run.Finished;
        row["completed_per_s"] = run.FinishedPerSecond;
        row["sustained_per_s"] = run.SustainedPerSecond;
        row["finish_p50_ms"] = run.FinishMs(50);
        row["finish_p99_ms"] = run.FinishMs(99);
        row["drink_ms"] = drinkMs;
        row["infrastructure"] = settings.RabbitMq is null ? "embedded" : "rabbitmq-postgres";
        if (baristaDown is not null)
        {
            row["barista_down"] = baristaDown;
        }

        row["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return JsonSerializer.Serialize(row);
    }
}
