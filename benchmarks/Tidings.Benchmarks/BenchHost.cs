using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Sqlite;

namespace Tidings.Benchmarks;

/// <summary>A publisher and one consuming endpoint in one process, on the chosen transport and mode, in a scratch folder.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly string _directory;

    private BenchHost(IHost host, string directory)
    {
        Host = host;
        _directory = directory;
    }

    public IHost Host { get; }

    public IBus Bus => Host.Services.GetRequiredService<IBus>();

    public BenchRecorder Recorder => Host.Services.GetRequiredService<BenchRecorder>();

    public static async Task<BenchHost> StartAsync(BenchmarkOptions options)
    {
        if (options.Transport != "sqlite")
        {
            throw new ArgumentException($"Unknown transport '{options.Transport}'. Available: sqlite.");
        }

        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<BenchRecorder>();
        var effectivelyOnce = options.DeliveryMode == DeliveryMode.EffectivelyOnce;
        builder.Services.AddTidings(t =>
        {
            t.UseSqlite(new SqliteTransportOptions { Path = Path.Combine(directory, "bus.db"), DurableCommits = options.Durable });
            if (effectivelyOnce)
            {
                t.UseSqliteStore(new SqliteStoreOptions { Path = Path.Combine(directory, "consumer.db"), DurableCommits = options.Durable });
                t.AddMessage<BenchProcessed>();
            }

            t.AddEndpoint("bench", e =>
            {
                if (effectivelyOnce)
                {
                    e.Handle<BenchMessage, BenchTransactionalHandler>();
                }
                else
                {
                    e.Handle<BenchMessage, BenchHandler>();
                }

                e.DeliveryMode = options.DeliveryMode;
                e.Concurrency = options.Concurrency;
                e.Prefetch = options.Prefetch;
            });
        });

        var host = builder.Build();
        if (effectivelyOnce)
        {
            using var connection = host.Services.GetRequiredService<SqliteStore>().Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE bench_effects (seq INTEGER NOT NULL)";
            command.ExecuteNonQuery();
        }

        await host.StartAsync();
        return new BenchHost(host, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
