// Quickstart: a counter process publishes orders, a barista process handles them, over one SQLite bus file.
//   dotnet run --project samples/Quickstart              runs both: starts the barista, then publishes
//   dotnet run --project samples/Quickstart -- barista   only the consumer (stops when its input closes)
//   dotnet run --project samples/Quickstart -- counter   only the publisher
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quickstart;
using Tidings;
using Tidings.Sqlite;

const string BusFile = "data/quickstart/bus.db";
var role = args.FirstOrDefault() ?? "demo";

switch (role)
{
    case "barista":
        await RunBaristaAsync();
        break;
    case "counter":
        await RunCounterAsync(orders: 5);
        break;
    case "demo":
        await RunDemoAsync();
        break;
    default:
        Console.Error.WriteLine("usage: Quickstart [demo|barista|counter]");
        return 2;
}

return 0;

static IHost BuildHost(Action<TidingsBuilder> endpoints)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddTidings(tidings =>
    {
        tidings.UseSqlite(BusFile);
        tidings.AddMessage<OrderPlaced>();
        endpoints(tidings);
    });
    return builder.Build();
}

static async Task RunBaristaAsync()
{
    using var host = BuildHost(tidings => tidings.AddEndpoint("barista", endpoint => endpoint.Handle<OrderPlaced, StartDrink>()));
    await host.StartAsync();
    Console.WriteLine("ready");
    await Task.Run(() => Console.In.ReadToEnd());
    await host.StopAsync();
}

static async Task RunCounterAsync(int orders)
{
    using var host = BuildHost(_ => { });
    await host.StartAsync();
    var bus = host.Services.GetRequiredService<IBus>();
    string[] names = ["Ada", "Grace", "Linus", "Barbara", "Ken"];
    for (var i = 1; i <= orders; i++)
    {
        await bus.PublishAsync(new OrderPlaced(i, "flat white", names[(i - 1) % names.Length]), new SendOptions { CorrelationId = $"order-{i}" });
        Console.WriteLine($"[counter pid {Environment.ProcessId}] order {i} placed");
    }

    await host.StopAsync();
}

static async Task RunDemoAsync()
{
    // Start the barista as a second process of this same program and wait until it has subscribed.
    var self = Environment.ProcessPath!;
    var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        start.ArgumentList.Add(typeof(StartDrink).Assembly.Location);
    }

    start.ArgumentList.Add("barista");
    using var barista = Process.Start(start)!;
    var handled = 0;
    var allHandled = new TaskCompletionSource();
    var ready = new TaskCompletionSource();
    barista.OutputDataReceived += (_, e) =>
    {
        if (e.Data is null)
        {
            return;
        }

        if (e.Data == "ready")
        {
            ready.TrySetResult();
            return;
        }

        Console.WriteLine(e.Data);
        if (e.Data.Contains("making", StringComparison.Ordinal) && Interlocked.Increment(ref handled) == 5)
        {
            allHandled.TrySetResult();
        }
    };
    barista.BeginOutputReadLine();
    await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));

    await RunCounterAsync(orders: 5);
    await allHandled.Task.WaitAsync(TimeSpan.FromSeconds(30));

    barista.StandardInput.Close();
    await barista.WaitForExitAsync();
    Console.WriteLine("All 5 orders were handled by the barista process.");
}
