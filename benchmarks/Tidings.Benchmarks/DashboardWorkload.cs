using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.Dashboard;
using Tidings.DeadLetters;
using Tidings.Operations;
using Tidings.PostgreSql;
using Tidings.Sqlite;
using Tidings.Transport;

namespace Tidings.Benchmarks;

[MessageName("bench.dashboard.cup-ordered")]
public sealed record CupOrdered(int Seq);

[MessageName("bench.dashboard.cup-served")]
public sealed record CupServed(int Seq);

public sealed class CupState
{
    public int Seq { get; set; }
}

/// <summary>A cup: ordered, then served (or never).</summary>
public sealed class CupSaga : Saga<CupState>
{
    public CupSaga()
    {
        StartedBy<CupOrdered>(m => Id(m.Seq), (m, saga) =>
        {
            saga.State.Seq = m.Seq;
            return Task.CompletedTask;
        });
        Handles<CupServed>(m => Id(m.Seq), (_, saga) =>
        {
            saga.Complete();
            return Task.CompletedTask;
        });
    }

    public static string Id(int seq) => seq.ToString("D6", CultureInfo.InvariantCulture);
}

/// <summary>
/// <c>--workload dashboard</c>: a service on Kestrel with the dashboard mounted, over <c>--messages</c> dead letters
/// (default 100,000, in ten failure groups, as <c>dead-letters</c> fills them) and 1,000 saga instances (half
/// completed). Times each call the pages make, over HTTP as the browser makes it: the median and the slowest of 20
/// after a warm-up, and the first state on the live stream.
/// </summary>
internal static class DashboardWorkload
{
    private const int Calls = 20;
    private const int Sagas = 1_000;

    public static async Task RunAsync(BenchmarkOptions options)
    {
        var count = options.Given.Contains("--messages") ? options.Messages : 100_000;
        var endpoint = "bench-dashboard-" + Guid.NewGuid().ToString("N")[..6];
        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-dash-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        await using var app = Build(options, directory, endpoint);
        if (options.OnRabbitMq)
        {
            await BenchDatabase.PrepareAsync(app.Services.GetRequiredService<PostgreSqlStore>());
        }

        await app.StartAsync();
        var transport = app.Services.GetRequiredService<ITransport>();
        var fill = Stopwatch.StartNew();
        await DeadLetterWorkload.FillAsync(app.Services, transport, endpoint, count);
        await FillSagasAsync(app.Services);
        Console.Error.WriteLine($"{count} dead letters and {Sagas} saga instances in {fill.Elapsed.TotalSeconds:F1} s");

        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var groups = JsonDocument.Parse(await client.GetStringAsync("/tidings/api/failures/groups")).RootElement;
        var group = groups[0].GetProperty("id").GetString();
        var page = JsonDocument.Parse(await client.GetStringAsync("/tidings/api/failures?limit=25")).RootElement;
        var id = page.GetProperty("items")[0].GetProperty("id").GetString()!;
        var cursor = await DeepCursorAsync(client);
        var results = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["workload"] = "dashboard",
            ["transport"] = options.Transport,
            ["store"] = options.OnRabbitMq ? "postgres" : "sqlite",
            ["dead_letters"] = count,
            ["saga_instances"] = Sagas,
        };
        foreach (var (name, path) in new[]
        {
            ("failure_groups", "/tidings/api/failures/groups"),
            ("failures_first_page", "/tidings/api/failures?limit=25"),
            ("failures_page_5000", $"/tidings/api/failures?limit=25&after={Uri.EscapeDataString(cursor)}"),
            ("failures_of_a_group", $"/tidings/api/failures?limit=25&group={group}"),
            ("one_failure", $"/tidings/api/failures/{string.Join('/', id.Split('/').Select(Uri.EscapeDataString))}"),
            ("overview", "/tidings/api/overview"),
            ("queues", "/tidings/api/queues"),
            ("sagas", "/tidings/api/sagas"),
            ("saga_instances_page", "/tidings/api/sagas/cup?limit=25"),
            ("saga_instances_active", "/tidings/api/sagas/cup?status=active&limit=25"),
            ("saga_instance", $"/tidings/api/sagas/cup/{CupSaga.Id(7)}"),
            ("failures_page_html", "/tidings/failures"),
        })
        {
            var (median, max) = await TimeAsync(client, path);
            results[name + "_ms"] = median;
            results[name + "_ms_max"] = max;
        }

        results["live_first_state_ms"] = await FirstStateAsync(client);
        results["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await app.StopAsync();
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, endpoint);
            await BrokerQueues.DeleteAsync(options, "bench-dashboard-cups");
        }

        DeadLetterWorkload.TryDelete(directory);
        Console.WriteLine(JsonSerializer.Serialize(results));
    }

    private static WebApplication Build(BenchmarkOptions options, string directory, string endpoint)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
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

            // The dead letters' endpoint (nothing handles there), and the cups' saga.
            t.AddEndpoint(endpoint, _ => { });
            t.AddEndpoint("bench-dashboard-cups", e =>
            {
                e.Saga<CupSaga>("cup", s => s.KeepCompleted = true);
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            });
        });
        builder.Services.AddTidingsDashboard();
        var app = builder.Build();
        app.MapTidingsDashboard("/tidings");
        return app;
    }

    /// <summary>1,000 cups ordered, every other one served: half the instances active, half completed.</summary>
    private static async Task FillSagasAsync(IServiceProvider services)
    {
        var bus = services.GetRequiredService<IBus>();
        for (var seq = 0; seq < Sagas; seq++)
        {
            await bus.SendAsync("bench-dashboard-cups", new CupOrdered(seq));
        }

        var store = services.GetRequiredService<IStoreInspector>();
        await WaitAsync(async () => (await store.GetStatisticsAsync()).Sagas.Where(s => s.Saga == "cup").Sum(s => s.Count) == Sagas);
        for (var seq = 0; seq < Sagas; seq += 2)
        {
            await bus.SendAsync("bench-dashboard-cups", new CupServed(seq));
        }

        await WaitAsync(async () => (await store.GetStatisticsAsync()).Sagas.Any(s => s.Saga == "cup" && s.Status == SagaStatus.Completed && s.Count == Sagas / 2));
    }

    private static async Task WaitAsync(Func<Task<bool>> done)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException("The saga instances were not all made in 5 minutes.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The cursor after the 5,000th dead letter, walked to page by page as the Older button does.</summary>
    private static async Task<string> DeepCursorAsync(HttpClient client)
    {
        string? after = null;
        for (var seen = 0; seen < 5_000; seen += 500)
        {
            var path = after is null ? "/tidings/api/failures?limit=500" : $"/tidings/api/failures?limit=500&after={Uri.EscapeDataString(after)}";
            after = (await client.GetFromJsonAsync<JsonElement>(path)).GetProperty("next").GetString()!;
        }

        return after!;
    }

    private static async Task<(double Median, double Max)> TimeAsync(HttpClient client, string path)
    {
        (await client.GetAsync(path)).EnsureSuccessStatusCode();
        var times = new List<double>(Calls);
        for (var i = 0; i < Calls; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync(path);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (Math.Round(times[Calls / 2], 2), Math.Round(times[^1], 2));
    }

    /// <summary>From opening the live stream to its first state (the pulse measured anew: counts, newest, queues, store).</summary>
    private static async Task<double> FirstStateAsync(HttpClient client)
    {
        // Past the pulse's cache: the first state is then measured for this stream.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("/tidings/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.StartsWith("data:", StringComparison.Ordinal))
        {
        }

        return Math.Round(watch.Elapsed.TotalMilliseconds, 2);
    }
}
