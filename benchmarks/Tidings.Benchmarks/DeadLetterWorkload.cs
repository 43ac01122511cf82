using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.DeadLetters;
using Tidings.PostgreSql;
using Tidings.Sqlite;
using Tidings.Transport;

namespace Tidings.Benchmarks;

/// <summary>
/// <c>--workload dead-letters</c>: one endpoint with <c>--messages</c> dead letters (default 100,000) in ten failure
/// groups, each with a realistic failure (reason, exception, a stack of a dozen frames). Times the first page of the
/// list and the failure groups (the median and the slowest of 20 calls after a warm-up), then replays one group of a
/// tenth of them (10,000) and times it until every replayed message is back in the endpoint's queue. On SQLite the
/// dead letters are rows of the bus file; on RabbitMQ they are the PostgreSQL store's rows, filled through
/// <see cref="IDeadLetterStore.IngestAsync"/> (the ingestion's own write), and the replay goes through the outbox to the
/// broker with confirms.
/// </summary>
internal static class DeadLetterWorkload
{
    private const int Groups = 10;
    private const int Calls = 20;

    public static async Task RunAsync(BenchmarkOptions options)
    {
        var count = options.Given.Contains("--messages") ? options.Messages : 100_000;
        var endpoint = "bench-dead-letters-" + Guid.NewGuid().ToString("N")[..6];
        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-dl-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        using var host = Build(options, directory);
        if (options.OnRabbitMq)
        {
            await BenchDatabase.PrepareAsync(host.Services.GetRequiredService<PostgreSqlStore>());
        }

        await host.StartAsync();
        var transport = host.Services.GetRequiredService<ITransport>();
        await transport.DeclareAsync(new QueueDeclaration(endpoint, []));
        var deadLetters = host.Services.GetRequiredService<IDeadLetters>();

        var fill = Stopwatch.StartNew();
        await FillAsync(host.Services, transport, endpoint, count);
        Console.Error.WriteLine($"{count} dead letters in {fill.Elapsed.TotalSeconds:F1} s");
        var query = new DeadLetterQuery { Endpoint = endpoint };
        if (await deadLetters.CountAsync(query) != count)
        {
            throw new InvalidOperationException("The dead letters were not all stored.");
        }

        var list = await TimeAsync(() => deadLetters.ListAsync(query));
        var groups = await TimeAsync(() => deadLetters.GroupsAsync(query));
        var group = (await deadLetters.GroupsAsync(query)).OrderBy(g => g.Key.UserFrame, StringComparer.Ordinal).First();

        var replay = Stopwatch.StartNew();
        var outcome = await deadLetters.ReplayAsync(DeadLetterSelection.Matching(query with { Group = group.Key }));
        var health = (ITransportHealth)transport;
        while (await health.CountMessagesAsync(endpoint) < outcome.Replayed)
        {
            await Task.Delay(5);
        }

        replay.Stop();
        await host.StopAsync();
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, endpoint);
        }

        TryDelete(directory);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "dead-letters",
            transport = options.Transport,
            store = options.OnRabbitMq ? "postgres" : "sqlite",
            dead_letters = count,
            list_ms = list.Median,
            list_ms_max = list.Max,
            groups_ms = groups.Median,
            groups_ms_max = groups.Max,
            replayed = outcome.Replayed,
            replay_msgs_per_s = Math.Round(outcome.Replayed / replay.Elapsed.TotalSeconds, 1),
            date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        }));
    }

    private static IHost Build(BenchmarkOptions options, string directory)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddTidings(t =>
        {
            BenchHost.UseTransport(t, options, directory);
            if (options.OnRabbitMq)
            {
                t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = options.Postgres, Schema = BenchDatabase.Schema });
            }
            else
            {
                t.UseSqliteStore(Path.Combine(directory, "service.db"));
            }
        });
        return builder.Build();
    }

    /// <summary>Stores the dead letters the way each transport's own path does, in batches of 500.</summary>
    internal static async Task FillAsync(IServiceProvider services, ITransport transport, string endpoint, int count)
    {
        var store = services.GetService<IDeadLetterStore>();
        if (store is not null && transport is not IDeadLetters)
        {
            // The database and Tidings' tables made if missing; the run starts with no dead letters and an empty outbox.
            var postgres = services.GetRequiredService<PostgreSqlStore>();
            await BenchDatabase.PrepareAsync(postgres);
            await using var connection = await postgres.DataSource.OpenConnectionAsync();
            await using var truncate = new Npgsql.NpgsqlCommand($"TRUNCATE {BenchDatabase.Schema}.dead_letters, {BenchDatabase.Schema}.dead_letter_contents, {BenchDatabase.Schema}.outbox", connection);
            await truncate.ExecuteNonQueryAsync();
        }

        for (var start = 0; start < count; start += 500)
        {
            var batch = Enumerable.Range(start, Math.Min(500, count - start)).Select(i => Failed(endpoint, i)).ToList();
            if (store is not null && transport is not IDeadLetters)
            {
                await store.IngestAsync(batch.Select(e => new IngestedDeadLetter(endpoint, e)).ToList());
            }
            else
            {
                await transport.SendAsync(batch.Select(e => new OutgoingMessage(Destination.Queue(DeadLetterQueues.For(endpoint)), e)).ToList());
            }
        }
    }

    /// <summary>A message that failed in one of ten places, with the headers the pipeline writes.</summary>
    private static Envelope Failed(string endpoint, int i)
    {
        var place = i % Groups;
        var stack = new StringBuilder($"Billing.CardDeclinedException: card declined for order {i}\n");
        stack.Append(CultureInfo.InvariantCulture, $"   at Billing.Gateway{place}.ChargeAsync(Order order) in /src/Billing/Gateway{place}.cs:line {40 + place}\n");
        stack.Append("   at Billing.ChargeHandler.HandleAsync(ChargeOrder message, IMessageContext context, CancellationToken cancellationToken) in /src/Billing/ChargeHandler.cs:line 31\n");
        for (var frame = 0; frame < 10; frame++)
        {
            stack.Append(CultureInfo.InvariantCulture, $"   at Tidings.Pipeline.Steps.Step{frame}.InvokeAsync(ReceiveContext context)\n");
        }

        var at = DateTimeOffset.UtcNow.AddSeconds(-i);
        return new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = "bench.charge-order",
            SentAt = at,
            Body = Encoding.UTF8.GetBytes($"{{\"orderId\":{i},\"cents\":450,\"customer\":\"customer-{i % 977}\"}}"),
            Headers = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [TidingsHeaders.DeadLetterReason] = "handler-failed",
                [TidingsHeaders.ExceptionType] = "Billing.CardDeclinedException",
                [TidingsHeaders.ExceptionMessage] = $"card declined for order {i}",
                [TidingsHeaders.ExceptionStackTrace] = stack.ToString(),
                [TidingsHeaders.Attempts] = "5",
                [TidingsHeaders.SourceQueue] = endpoint,
                [TidingsHeaders.DeadLetteredAt] = at.ToString("O", CultureInfo.InvariantCulture),
                [TidingsHeaders.TraceParent] = $"00-{Guid.NewGuid():N}-{Guid.NewGuid().ToString("N")[..16]}-01",
            },
        };
    }

    private static async Task<(double Median, double Max)> TimeAsync<T>(Func<Task<T>> call)
    {
        await call();
        var times = new List<double>(Calls);
        for (var i = 0; i < Calls; i++)
        {
            var watch = Stopwatch.StartNew();
            await call();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (Math.Round(times[Calls / 2], 2), Math.Round(times[^1], 2));
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
