using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Cli.Tests.Support;
using Tidings.DeadLetters;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;
using Tidings.Transport.Contracts;

namespace Tidings.Cli.Tests;

/// <summary>
/// A replay of 5,000 dead letters killed with SIGKILL halfway through, then run again: every message reaches the
/// service that handles it exactly once, and none is left dead-lettered. On SQLite each batch moves in one transaction,
/// so even an at-least-once consumer sees no duplicate; on RabbitMQ each batch leaves the store through the outbox, and
/// what the killed tool left there the service's relay sends, which its effectively-once inbox absorbs if it was sent twice.
/// </summary>
public sealed partial class ReplayKillTests : IDisposable
{
    private const int Count = 5000;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task On_sqlite_a_replay_killed_halfway_and_run_again_hands_over_every_message_exactly_once()
    {
        var bus = _directory.File("bus.db");
        var db = _directory.File("work.db");
        await DeadLetterFill.IntoBusFileAsync(bus, Count);
        using var consumer = WorkerProcess.Start("consume", "--bus", bus, "--db", db, "--mode", "at-least-once", "--lease-seconds", "60");
        await consumer.WaitForReadyAsync();
        await using var transport = new SqliteTransport(new SqliteTransportOptions { Path = bus });
        var dead = transport;

        string[] where = ["--bus", bus];
        var left = await KillHalfwayAsync(where, () => dead.CountAsync(new DeadLetterQuery { Endpoint = DeadLetterFill.Endpoint }));
        await ReplayTheRestAsync(where, left);

        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects") == Count, TimeSpan.FromSeconds(120), () => consumer.Output);
        await consumer.StopAsync();
        Assert.Equal(Count, Effects.Count(db, "SELECT COUNT(*) FROM effects"));
        Assert.Equal(0, await dead.CountAsync(DeadLetterQuery.All, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task On_rabbitmq_a_replay_killed_halfway_and_run_again_hands_over_every_message_exactly_once()
    {
        await using var servers = await Servers.StartAsync();
        const string Schema = "work";
        var db = _directory.File("work.db");
        await using var store = new ServiceCollection().AddLogging().AddTidings(t =>
        {
            t.UseRabbitMq(new RabbitMqTransportOptions { ConnectionString = servers.RabbitMq });
            t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = servers.Postgres, Schema = Schema });
        }).BuildServiceProvider();
        await (await store.GetRequiredService<PostgreSqlStore>().BeginAsync(TestContext.Current.CancellationToken)).DisposeAsync(); // makes Tidings' tables
        var deadLetters = store.GetRequiredService<IDeadLetterStore>();
        await DeadLetterFill.IntoStoreAsync(deadLetters, Count);

        using var consumer = WorkerProcess.Start("consume", "--rabbitmq", servers.RabbitMq.ToString(), "--db", db, "--mode", "effectively-once", "--lease-seconds", "60");
        await consumer.WaitForReadyAsync();

        string[] where = ["--rabbitmq", servers.RabbitMq.ToString(), "--postgres", servers.Postgres, "--schema", Schema];
        var left = await KillHalfwayAsync(where, () => deadLetters.CountAsync(new DeadLetterQuery { Endpoint = DeadLetterFill.Endpoint }));
        await ReplayTheRestAsync(where, left);

        // The service that owns the store: its relay sends what the killed tool committed to the outbox and did not clear.
        using var service = WorkerProcess.Start("relay", "--rabbitmq", servers.RabbitMq.ToString(), "--postgres", servers.Postgres, "--schema", Schema);
        await service.WaitForReadyAsync();
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects") == Count, TimeSpan.FromSeconds(120),
            () => consumer.Output + service.Output);
        await consumer.StopAsync();
        await service.StopAsync();
        Assert.Equal(Count, Effects.Count(db, "SELECT COUNT(*) FROM effects"));
        Assert.Equal(0, await deadLetters.CountAsync(DeadLetterQuery.All, TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// Starts the replay and kills it once its progress passes half (five batches of 500 still to go: time enough for
    /// the kill to land first); returns how many it left dead-lettered.
    /// </summary>
    private static async Task<long> KillHalfwayAsync(string[] where, Func<Task<long>> countLeft)
    {
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var tool = ToolProcess.Start(
            line =>
            {
                if (Progress().Match(line) is { Success: true } m && long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= Count / 2)
                {
                    halfway.TrySetResult();
                }
            },
            ["dead-letters", "replay", "--endpoint", DeadLetterFill.Endpoint, "--yes", .. where]))
        {
            await halfway.Task.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
            tool.KillHard();
            await tool.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var left = await countLeft();
        Assert.InRange(left, 1, Count / 2);
        return left;
    }

    private static async Task ReplayTheRestAsync(string[] where, long left)
    {
        var again = await ToolProcess.RunAsync(null, ["dead-letters", "replay", "--endpoint", DeadLetterFill.Endpoint, "--yes", "--json", .. where]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(left, JsonDocument.Parse(again.Out).RootElement.GetProperty("replayed").GetInt64());
    }

    [GeneratedRegex(@"^replayed (\d+) of \d+$")]
    private static partial Regex Progress();
}
