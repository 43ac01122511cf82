using Tidings.Transport;

namespace Tidings.Simulation.Tests;

/// <summary>The deterministic simulation as CI runs it: a thousand seeds keep every invariant; a seed replays exactly; the invariants can fail.</summary>
public sealed class SimulationTests
{
    [Fact]
    public async Task A_thousand_seeds_of_faults_keep_every_invariant()
    {
        var report = await SeedRunner.RunAsync(1, 1000, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(report.Failures.Count == 0,
            $"{report.Failures.Count} seed(s) failed; replay one with: dotnet run -c Release --project tests/Tidings.Simulation -- --trace SEED" +
            Environment.NewLine + string.Join(Environment.NewLine, report.Failures.Take(10).Select(f => $"seed {f.Seed}: {string.Join("; ", f.Violations)}")));

        // The faults did strike: the runs were not a quiet path.
        Assert.True(report.Crashes > 500, $"only {report.Crashes} crashes in 1,000 runs");
        Assert.True(report.Orders > 2000, $"only {report.Orders} orders in 1,000 runs");
    }

    [Theory]
    [InlineData(6)]
    [InlineData(42)]
    [InlineData(777)]
    public async Task A_seed_gives_the_same_trace_every_time(int seed)
    {
        var first = await Simulation.RunAsync(seed);
        var second = await Simulation.RunAsync(seed);

        Assert.Equal(first.Trace, second.Trace);
        Assert.Equal(first.Violations, second.Violations);
        Assert.True(first.Trace.Count > 20, $"seed {seed} ran only {first.Trace.Count} steps");
    }

    [Fact]
    public async Task Different_seeds_run_differently()
    {
        var one = await Simulation.RunAsync(1);
        var two = await Simulation.RunAsync(2);

        Assert.NotEqual(one.Trace, two.Trace);
    }

    [Fact]
    public async Task The_invariants_report_a_doubled_side_effect_and_a_message_left_behind()
    {
        var result = await Simulation.RunAsync(42, async run =>
        {
            var order = run.Accepted[0];
            using (var connection = run.Service("cashier").Store.Open())
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "CREATE TABLE IF NOT EXISTS charges (order_id TEXT NOT NULL); INSERT INTO charges (order_id) VALUES ($order), ($order);";
                command.Parameters.AddWithValue("$order", order);
                command.ExecuteNonQuery();
            }

            await run.Broker.SendAsync([new OutgoingMessage(Destination.Queue("cashier"), new Envelope
            {
                MessageId = Envelope.NewMessageId(),
                MessageName = "coffeeshop.order-placed",
                Body = "{}"u8.ToArray(),
            })]);
        });

        Assert.Contains(result.Violations, v => v.Contains("of charge: a side effect doubled", StringComparison.Ordinal));
        Assert.Contains(result.Violations, v => v.StartsWith("queue cashier still holds", StringComparison.Ordinal));
    }
}
