using System.Diagnostics;
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

[MessageName("bench.sse.start")]
public sealed record SseStart(string Id);

[MessageName("bench.sse.tick")]
public sealed record SseTick(string Id, int Tick);

[MessageName("bench.sse.end")]
public sealed record SseEnd(string Id);

public sealed record SseOpen(string Name);

public sealed class SseState
{
    public int Ticks { get; set; }
}

/// <summary>The resource the streams watch: started, changed once per tick, completed at the end.</summary>
public sealed class SseSaga : Saga<SseState>
{
    public SseSaga()
    {
        StartedBy<SseStart>(m => m.Id, (_, _) => Task.CompletedTask);
        Handles<SseTick>(m => m.Id, (m, saga) =>
        {
            saga.State.Ticks = m.Tick;
            return Task.CompletedTask;
        });
        Handles<SseEnd>(m => m.Id, (_, saga) =>
        {
            saga.Complete();
            return Task.CompletedTask;
        });
    }
}

/// <summary>
/// <c>--workload sse-fanout</c>: <c>--streams</c> live event streams (default 1000) of one saga-backed resource, opened by
/// a client process against one service instance; <c>--changes</c> state changes (default 20), each made by the saga's
/// handler in the service. Latency is from the handler's clock reading (the history entry's time, before its commit) to
/// the event's arrival at each stream; memory is the service's growth with the streams open, per stream.
/// </summary>
internal static class SseFanoutWorkload
{
    private const string Queue = "bench-sse";

    public static async Task RunAsync(BenchmarkOptions options)
    {
        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-sse-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, Queue);
        }

        await using var app = await StartAsync(options, directory);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bus = app.Services.GetRequiredService<IBus>();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        var accepted = (await (await client.PostAsJsonAsync("/orders", new SseOpen("bench"))).Content.ReadFromJsonAsync<AcceptedBody>())!;
        var inspector = app.Services.GetRequiredService<ISagaInspector>();
        while (await inspector.GetAsync("bench-sse", accepted.Id) is null)
        {
            await Task.Delay(10);
        }

        var (heap, workingSet) = Memory();
        using var clients = SseClientProcess.Start(options, new Uri(new Uri(address), accepted.Location + "/events"), accepted.Token);
        await clients.WaitForLineAsync("open", TimeSpan.FromMinutes(2));
        var (heapOpen, workingSetOpen) = Memory();

        for (var tick = 1; tick <= options.Changes; tick++)
        {
            await bus.SendAsync(Queue, new SseTick(accepted.Id, tick));
            await clients.WaitForLineAsync($"tick {tick}", TimeSpan.FromMinutes(1));
        }

        await bus.SendAsync(Queue, new SseEnd(accepted.Id));
        var summary = JsonDocument.Parse(await clients.WaitForLineAsync("{", TimeSpan.FromMinutes(1))).RootElement;
        await clients.WaitForExitAsync();
        await app.StopAsync();
        HttpAcceptWorkload.TryDelete(directory);

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload = "sse-fanout",
            transport = options.Transport,
            store = options.Store,
            streams = options.Streams,
            changes = options.Changes,
            events = summary.GetProperty("events").GetInt64(),
            p50_ms = summary.GetProperty("p50_ms").GetDouble(),
            p99_ms = summary.GetProperty("p99_ms").GetDouble(),
            max_ms = summary.GetProperty("max_ms").GetDouble(),
            bytes_per_stream = (heapOpen - heap) / options.Streams,
            working_set_bytes_per_stream = (workingSetOpen - workingSet) / options.Streams,
            date = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        }));
    }

    /// <summary>The managed heap after a full collection, and the process's working set.</summary>
    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
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
                t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = options.Postgres, Schema = BenchDatabase.Schema });
            }
            else
            {
                t.UseSqliteStore(new SqliteStoreOptions { Path = Path.Combine(directory, "orders.db"), DurableCommits = options.Durable });
            }

            t.AddMessage<SseStart>().AddMessage<SseTick>().AddMessage<SseEnd>();
            t.AddEndpoint(Queue, e =>
            {
                e.Saga<SseSaga>("bench-sse", o => o.KeepCompleted = true);
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            });
        });
        builder.Services.AddTidingsAspNetCore(o => o.RequireIdempotencyKey = false);
        var app = builder.Build();
        if (options.Store == "postgres")
        {
            await BenchDatabase.PrepareAsync(app.Services.GetRequiredService<PostgreSqlStore>());
        }

        app.MapAccepted<SseOpen>("/orders", async (_, accept) =>
        {
            var id = Guid.CreateVersion7().ToString();
            await accept.SendAsync(Queue, new SseStart(id), cancellationToken: accept.CancellationToken);
            return AcceptContext.Resource(id, $"/orders/{id}");
        });
        app.MapAcceptedEvents("/orders/{id}/events", SagaResourceStatus.Events("bench-sse"));
        await app.StartAsync();
        return app;
    }
}
