using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.AspNetCore;
using Tidings.PostgreSql;
using Tidings.Sqlite;

namespace Tidings.Benchmarks;

[MessageName("bench.http.order-placed")]
public sealed record BenchOrderPlaced(string OrderId, string Drink);

public sealed record BenchOrder(string Drink, string Customer);

/// <summary>
/// <c>--workload http-accept</c>: <c>POST /orders</c> through <c>MapAccepted</c> (a business row and one published
/// message in one transaction, then 202) at a steady <c>--rate</c> (default 200 requests/s), with an Idempotency-Key and
/// without. The two kinds take turns in one-second blocks, so the machine's drift from minute to minute falls on both
/// alike; latency is from each request's due time to its answer (a late sender counts against it).
/// </summary>
internal static class HttpAcceptWorkload
{
    private static readonly string? Only = Environment.GetEnvironmentVariable("TIDINGS_BENCH_ONLY");

    public static async Task RunAsync(BenchmarkOptions options)
    {
        var rate = options.Given.Contains("--rate") ? options.Rate : 200;
        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-http-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        await using var app = await StartAsync(options, directory);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(address),
        };

        // Warm-up: connections, JIT, the database's caches; then the measured blocks.
        await DriveAsync(client, rate, seconds: 2, null, null);
        var withKey = new HdrHistogram.LongHistogram(HdrHistogram.TimeStamp.Minutes(1), 3);
        var withoutKey = new HdrHistogram.LongHistogram(HdrHistogram.TimeStamp.Minutes(1), 3);
        var errors = await DriveAsync(client, rate, options.DurationSeconds * 2, withKey, withoutKey);
        await app.StopAsync();
        TryDelete(directory);

        foreach (var (key, histogram) in new[] { (true, withKey), (false, withoutKey) })
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                workload = "http-accept",
                transport = options.Transport,
                store = options.Store,
                idempotency_key = key,
                requests = histogram.TotalCount,
                rate,
                p50_ms = Ms(histogram, 50),
                p99_ms = Ms(histogram, 99),
                p999_ms = Ms(histogram, 99.9),
                errors = errors[key ? 1 : 0],
                date = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            }));
        }
    }

    /// <summary>Sends <paramref name="rate"/> requests a second for <paramref name="seconds"/>: with a key in even seconds, without in odd ones.</summary>
    private static async Task<int[]> DriveAsync(HttpClient client, int rate, int seconds, HdrHistogram.LongHistogram? withKey, HdrHistogram.LongHistogram? withoutKey)
    {
        var errors = new int[2];
        var requests = new List<Task>(rate * seconds);
        var begin = Stopwatch.GetTimestamp();
        for (var i = 0; i < rate * seconds; i++)
        {
            var due = begin + (long)(i * (Stopwatch.Frequency / (double)rate));
            while (Stopwatch.GetTimestamp() < due)
            {
                await Task.Delay(1);
            }

            // TIDINGS_BENCH_ONLY=key|none: every block of one kind, to profile each alone.
            var keyed = Only switch { "key" => true, "none" => false, _ => i / rate % 2 == 0 };
            requests.Add(SendAsync(client, keyed, due, keyed ? withKey : withoutKey, errors));
        }

        await Task.WhenAll(requests);
        return errors;
    }

    private static async Task SendAsync(HttpClient client, bool keyed, long due, HdrHistogram.LongHistogram? histogram, int[] errors)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(new BenchOrder("latte", "ada")) };
        if (keyed)
        {
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        try
        {
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                Interlocked.Increment(ref errors[keyed ? 1 : 0]);
                return;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref errors[keyed ? 1 : 0]);
            return;
        }

        if (histogram is not null)
        {
            lock (histogram)
            {
                histogram.RecordValue(Math.Min(Stopwatch.GetTimestamp() - due, histogram.HighestTrackableValue));
            }
        }
    }

    private static async Task<WebApplication> StartAsync(BenchmarkOptions options, string directory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddTidings(t =>
        {
            BenchHost.UseTransport(t, options, directory);
            if (options.Store == "postgres")
            {
                // A burst (the first requests, while the JIT warms up) must not open more connections than the server takes.
                var pooled = new Npgsql.NpgsqlConnectionStringBuilder(options.Postgres) { MaxPoolSize = 40 }.ConnectionString;
                t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = pooled, Schema = BenchDatabase.Schema });
            }
            else
            {
                t.UseSqliteStore(new SqliteStoreOptions { Path = Path.Combine(directory, "orders.db"), DurableCommits = options.Durable });
            }

            t.AddMessage<BenchOrderPlaced>();
        });

        // Without a key a request runs without one: the same endpoint serves both kinds.
        builder.Services.AddTidingsAspNetCore(o => o.RequireIdempotencyKey = false);
        var app = builder.Build();
        await PrepareAsync(app.Services, options);
        var postgres = options.Store == "postgres";
        app.MapAccepted<BenchOrder>("/orders", async (order, accept) =>
        {
            var id = Guid.CreateVersion7().ToString();
            await using (var insert = accept.Connection.CreateCommand())
            {
                insert.Transaction = accept.Transaction;
                insert.CommandText = postgres
                    ? $"INSERT INTO {BenchDatabase.Schema}.bench_orders (id, drink) VALUES ('{id}', 'latte')"
                    : $"INSERT INTO bench_orders (id, drink) VALUES ('{id}', 'latte')";
                await insert.ExecuteNonQueryAsync(accept.CancellationToken);
            }

            await accept.PublishAsync(new BenchOrderPlaced(id, order.Drink), cancellationToken: accept.CancellationToken);
            return AcceptContext.Resource(id, $"/orders/{id}");
        });
        await app.StartAsync();
        return app;
    }

    private static async Task PrepareAsync(IServiceProvider services, BenchmarkOptions options)
    {
        if (options.Store == "postgres")
        {
            var store = services.GetRequiredService<PostgreSqlStore>();
            await BenchDatabase.PrepareAsync(store);
            await using var transaction = await store.BeginAsync();
            await using var reset = transaction.CreateCommand(
                $"TRUNCATE {BenchDatabase.Schema}.idempotency_keys; DROP TABLE IF EXISTS {BenchDatabase.Schema}.bench_orders; CREATE TABLE {BenchDatabase.Schema}.bench_orders (id text PRIMARY KEY, drink text NOT NULL)");
            await reset.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return;
        }

        using var connection = services.GetRequiredService<SqliteStore>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS bench_orders (id TEXT PRIMARY KEY, drink TEXT NOT NULL)";
        command.ExecuteNonQuery();
    }

    private static double Ms(HdrHistogram.LongHistogram histogram, double percentile) =>
        Math.Round(histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency, 3);

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder; the machine cleans it up.
        }
    }
}
