using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Testing;

namespace Tidings.Benchmarks;

[MessageName("bench.harness.place")]
public sealed record HarnessPlace(string Id);

[MessageName("bench.harness.charged")]
public sealed record HarnessCharged(string Id);

[MessageName("bench.harness.make")]
public sealed record HarnessMake(string Id);

[MessageName("bench.harness.nudge")]
public sealed record HarnessNudge(string Id);

[MessageName("bench.harness.pay-by")]
public sealed record HarnessPayBy(string Id);

[MessageName("bench.harness.give-up")]
public sealed record HarnessGiveUp(string Id);

[MessageName("bench.harness.refund")]
public sealed record HarnessRefund(string Id);

public sealed class HarnessOrder
{
    public int Nudges { get; set; }
}

/// <summary>An order with three timeouts (pay-by, nudge every 3 minutes, give up at 10) and a compensation (the refund).</summary>
public sealed class HarnessOrderSaga : Saga<HarnessOrder>
{
    public HarnessOrderSaga()
    {
        StartedBy<HarnessPlace>(m => m.Id, async (m, saga) =>
        {
            await saga.SendAsync("bench-harness-cashier", new HarnessCharged(m.Id));
            saga.RequestTimeout("pay-by", TimeSpan.FromMinutes(1), new HarnessPayBy(m.Id));
        });
        Handles<HarnessCharged>(m => m.Id, async (m, saga) =>
        {
            saga.CancelTimeout("pay-by");
            saga.AddCompensation("charge", "bench-harness-cashier", new HarnessRefund(m.Id));
            await saga.SendAsync("bench-harness-barista", new HarnessMake(m.Id));
            saga.RequestTimeout("nudge", TimeSpan.FromMinutes(3), new HarnessNudge(m.Id));
            saga.RequestTimeout("give-up", TimeSpan.FromMinutes(10), new HarnessGiveUp(m.Id));
        });
        OnTimeout<HarnessPayBy>((_, saga) =>
        {
            saga.Compensate("late");
            return Task.CompletedTask;
        });
        OnTimeout<HarnessNudge>((m, saga) =>
        {
            saga.State.Nudges++;
            saga.RequestTimeout("nudge", TimeSpan.FromMinutes(3), new HarnessNudge(m.Id));
            return Task.CompletedTask;
        });
        OnTimeout<HarnessGiveUp>((_, saga) =>
        {
            saga.CancelTimeout("nudge");
            saga.Compensate("no drink");
            return Task.CompletedTask;
        });
    }
}

/// <summary>
/// <c>--workload harness</c>: the test a user of Tidings.Testing writes for a saga with three timeouts and a compensation,
/// run <c>--messages</c> times (default 50): start a harness, place the order, charge it, advance 15 virtual minutes (three
/// nudges, the give-up, the refund), read the saga, dispose. The median and the slowest of each part, in ms.
/// </summary>
internal static class HarnessWorkload
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        var runs = options.Messages == 20_000 ? 50 : options.Messages;
        var (start, scenario, dispose, whole) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < runs + 3; i++)
        {
            var total = Stopwatch.StartNew();
            var watch = Stopwatch.StartNew();
            var harness = await TidingsHarness.StartAsync(t => t.AddEndpoint("bench-harness-counter", e =>
            {
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Saga<HarnessOrderSaga>("bench-harness-order", s => s.KeepCompleted = true);
            }));
            var started = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            await harness.SendAsync("bench-harness-counter", new HarnessPlace("o-1"));
            await harness.SendAsync("bench-harness-counter", new HarnessCharged("o-1"));
            var later = await harness.AdvanceAsync(TimeSpan.FromMinutes(15));
            var order = await harness.SagaAsync<HarnessOrder>("bench-harness-order", "o-1");
            if (order is not { Status: SagaStatus.Compensated, State.Nudges: 3 } || later.Sent<HarnessRefund>().Count != 1)
            {
                throw new InvalidOperationException($"The scenario did not run as it should: {order?.Status}, {order?.State.Nudges} nudges.\n{later}");
            }

            var ran = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            await harness.DisposeAsync();
            if (i >= 3)
            {
                // The first runs are warm-up (JIT, SQLite's first open).
                (start, scenario, dispose, whole) = (Add(start, started), Add(scenario, ran), Add(dispose, watch.Elapsed.TotalMilliseconds), Add(whole, total.Elapsed.TotalMilliseconds));
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["workload"] = "harness",
            ["runs"] = runs,
            ["start_ms"] = Median(start),
            ["start_ms_max"] = start.Max(),
            ["scenario_ms"] = Median(scenario),
            ["scenario_ms_max"] = scenario.Max(),
            ["dispose_ms"] = Median(dispose),
            ["whole_test_ms"] = Median(whole),
            ["whole_test_ms_max"] = whole.Max(),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        }));
    }

    private static List<double> Add(List<double> list, double value)
    {
        list.Add(Math.Round(value, 2));
        return list;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
