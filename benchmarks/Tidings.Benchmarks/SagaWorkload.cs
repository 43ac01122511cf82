using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.PostgreSql;
using Tidings.Sqlite;

namespace Tidings.Benchmarks;

[MessageName("bench.saga.start")]
public sealed record SagaStart(long Seq, long StartTicks, string Worker);

[MessageName("bench.saga.step")]
public sealed record SagaStepRequest(long Seq, int Step);

[MessageName("bench.saga.step-done")]
public sealed record SagaStepDone(long Seq, int Step, long HandledTicks = 0);

public sealed class BenchSagaState
{
    public long StartTicks { get; set; }

    /// <summary>When each handler of the saga and of the worker ran, for <c>TIDINGS_BENCH_HOPS=1</c>.</summary>
    public List<long> Hops { get; set; } = [];

    public string Worker { get; set; } = "";
}

/// <summary>The benchmark's three-step saga: started, then two replies from another endpoint, then complete.</summary>
public sealed class BenchSaga : Saga<BenchSagaState>
{
    public BenchSaga()
    {
        StartedBy<SagaStart>(m => Id(m.Seq), (m, saga) =>
        {
            saga.State.StartTicks = m.StartTicks;
            saga.State.Worker = m.Worker;
            SagaHops.Mark(saga.State, 0);
            return saga.SendAsync(m.Worker, new SagaStepRequest(m.Seq, 1), new SendOptions { ReplyTo = saga.Endpoint }).AsTask();
        });
        Handles<SagaStepDone>(m => Id(m.Seq), (m, saga) =>
        {
            SagaHops.Mark(saga.State, m.HandledTicks);
            if (m.Step == 1)
            {
                return saga.SendAsync(saga.State.Worker, new SagaStepRequest(m.Seq, 2), new SendOptions { ReplyTo = saga.Endpoint }).AsTask();
            }

            saga.Complete();
            saga.Services.GetRequiredService<SagaCompletions>().Completed(m.Seq, saga.State.StartTicks, saga.State.Hops);
            return Task.CompletedTask;
        });
    }

    private static string Id(long seq) => seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The other endpoint: answers each step.</summary>
public sealed class BenchSagaWorker : IHandleMessages<SagaStepRequest>
{
    public Task HandleAsync(SagaStepRequest message, IMessageContext context, CancellationToken cancellationToken) =>
        context.ReplyAsync(new SagaStepDone(message.Seq, message.Step, SagaHops.Enabled ? Stopwatch.GetTimestamp() : 0), cancellationToken: cancellationToken).AsTask();
}

/// <summary>
/// Counts completed sagas and their start-to-completion latency, and frees an in-flight slot for each. A completion is
/// recorded when its handler runs, just before its transaction commits (a commit that fails runs the handler again:
/// counted once, by sequence number).
/// </summary>
public sealed class SagaCompletions : IDisposable
{
    private readonly BenchRecorder _recorder = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, bool> _seen = new();

    public SemaphoreSlim InFlight { get; } = new(0);

    public BenchRecorder Recorder => _recorder;

    public void Dispose()
    {
        _recorder.Dispose();
        InFlight.Dispose();
    }

    public SagaHops Hops { get; } = new();

    public void Completed(long seq, long startTicks, List<long> hops)
    {
        if (_seen.TryAdd(seq, true))
        {
            Hops.Record(seq, startTicks, hops);
            _recorder.Record(new BenchMessage(seq, startTicks, ""));
            InFlight.Release();
        }
    }
}

/// <summary>
/// <c>--workload saga</c>: three-step sagas (start, two replies from another endpoint, complete) with
/// <c>--in-flight</c> at once (default 100), or started at <c>--rate</c> per second when given; sagas per second and the
/// start-to-completion latency.
/// </summary>
internal static class SagaWorkload
{
    public static async Task<BenchResult> RunAsync(BenchmarkOptions options)
    {
        var inFlight = options.Given.Contains("--in-flight") ? options.InFlight : 100;
        var count = options.Given.Contains("--messages") ? options.Messages : 5000;
        var warmUp = Math.Min(500, count / 5);
        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-saga-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var sagas = options.Queue("bench-saga");
        var worker = options.Queue("bench-saga-worker");
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, sagas, worker);
        }

        using var completions = new SagaCompletions();
        completions.Recorder.WarmUpCount = warmUp;
        completions.Recorder.Expected = count;
        using var host = await StartAsync(options, directory, sagas, worker, completions);
        var bus = host.Services.GetRequiredService<IBus>();

        // Warm-up sagas (negative numbers), then the measured ones.
        await DriveAsync(bus, sagas, worker, completions, -warmUp, 0, inFlight, rate: null);
        await completions.Recorder.WarmedUp.WaitAsync(TimeSpan.FromMinutes(2));
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var begin = Stopwatch.GetTimestamp();
        await DriveAsync(bus, sagas, worker, completions, 0, count, inFlight, options.Given.Contains("--rate") ? options.Rate : null);
        await completions.Recorder.Done.WaitAsync(TimeSpan.FromMinutes(5));
        var report = completions.Recorder.Report();
        completions.Hops.Print();
        var elapsed = Stopwatch.GetElapsedTime(begin, report.LastHandledTicks);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;

        await host.StopAsync();
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, sagas, worker);
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder; the machine cleans it up.
        }

        return new BenchResult(options, "saga", count, count / elapsed.TotalSeconds, report.P50Ms, report.P99Ms, bytes / (double)count, report);
    }

    /// <summary>Starts sagas <paramref name="from"/> to <paramref name="to"/>: <paramref name="inFlight"/> at once, or at <paramref name="rate"/> per second.</summary>
    private static async Task DriveAsync(IBus bus, string sagas, string worker, SagaCompletions completions, long from, long to, int inFlight, int? rate)
    {
        var begin = Stopwatch.GetTimestamp();
        var started = 0L;
        var sends = new List<Task>();
        for (var seq = from; seq < to; seq++)
        {
            long due;
            if (rate is { } perSecond)
            {
                due = begin + (long)(started * (Stopwatch.Frequency / (double)perSecond));
                while (Stopwatch.GetTimestamp() < due)
                {
                    await Task.Delay(1);
                }
            }
            else
            {
                if (started >= inFlight)
                {
                    await completions.InFlight.WaitAsync();
                }

                due = Stopwatch.GetTimestamp();
            }

            // Not awaited one by one: many clients start sagas at once, and a sender that waited for each start to be
            // stored before the next would measure its own round trip, not the sagas.
            sends.Add(bus.SendAsync(sagas, new SagaStart(seq, due, worker)).AsTask());
            started++;
        }

        await Task.WhenAll(sends);

        // Slots left over from this phase belong to it.
        for (var i = 0; rate is null && i < Math.Min(inFlight, started); i++)
        {
            await completions.InFlight.WaitAsync();
        }
    }

    private static async Task<IHost> StartAsync(BenchmarkOptions options, string directory, string sagas, string worker, SagaCompletions completions)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(completions);
        builder.Services.AddTidings(t =>
        {
            BenchHost.UseTransport(t, options, directory);
            if (options.Store == "postgres")
            {
                t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = options.Postgres, Schema = BenchDatabase.Schema });
            }
            else
            {
                t.UseSqliteStore(new SqliteStoreOptions { Path = Path.Combine(directory, "sagas.db"), DurableCommits = options.Durable });
            }

            t.AddMessage<SagaStart>().AddMessage<SagaStepRequest>().AddMessage<SagaStepDone>();
            t.AddEndpoint(sagas, e =>
            {
                e.Saga<BenchSaga>("bench");
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Concurrency = options.Concurrency;
                e.Prefetch = options.Given.Contains("--prefetch") ? options.Prefetch : 32;
            });
            t.AddEndpoint(worker, e =>
            {
                e.Handle<SagaStepRequest, BenchSagaWorker>();
                e.Concurrency = options.Concurrency;
                e.Prefetch = options.Given.Contains("--prefetch") ? options.Prefetch : 32;
            });
        });
        var host = builder.Build();
        if (options.Store == "postgres")
        {
            await BenchDatabase.PrepareAsync(host.Services.GetRequiredService<PostgreSqlStore>());
            await using var transaction = await host.Services.GetRequiredService<PostgreSqlStore>().BeginAsync();
            await using var reset = transaction.CreateCommand($"TRUNCATE {BenchDatabase.Schema}.sagas, {BenchDatabase.Schema}.schedules");
            await reset.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        await host.StartAsync();
        return host;
    }
}

/// <summary>
/// With <c>TIDINGS_BENCH_HOPS=1</c>, where a saga's time goes: from one handler to the next (start → saga's first
/// handler → worker → saga → worker → saga's last), p50 and p99 per hop, printed to standard error.
/// </summary>
public sealed class SagaHops
{
    private static readonly string[] Names = ["send start → saga start", "saga → worker step 1", "worker → saga step 1 done", "saga → worker step 2", "worker → saga step 2 done"];
    private readonly HdrHistogram.LongHistogram[] _hops = Names.Select(_ => new HdrHistogram.LongHistogram(HdrHistogram.TimeStamp.Minutes(1), 3)).ToArray();

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("TIDINGS_BENCH_HOPS") == "1";

    /// <summary>The worker's handler time (carried in its reply), then the saga handler's own.</summary>
    public static void Mark(BenchSagaState state, long workerTicks)
    {
        if (!Enabled)
        {
            return;
        }

        if (workerTicks != 0)
        {
            state.Hops.Add(workerTicks);
        }

        state.Hops.Add(Stopwatch.GetTimestamp());
    }

    public void Record(long seq, long startTicks, List<long> hops)
    {
        if (!Enabled || seq < 0 || hops.Count != Names.Length)
        {
            return;
        }

        lock (_hops)
        {
            var previous = startTicks;
            for (var i = 0; i < hops.Count; i++)
            {
                _hops[i].RecordValue(Math.Max(0, hops[i] - previous));
                previous = hops[i];
            }
        }
    }

    public void Print()
    {
        if (!Enabled)
        {
            return;
        }

        for (var i = 0; i < Names.Length; i++)
        {
            var ms = (double p) => _hops[i].GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency;
            Console.Error.WriteLine($"hop {Names[i],-28} p50 {ms(50),8:F2} ms  p90 {ms(90),8:F2} ms  p99 {ms(99),8:F2} ms");
        }
    }
}
