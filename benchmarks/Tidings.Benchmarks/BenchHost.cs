using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;

namespace Tidings.Benchmarks;

/// <summary>A Tidings host for the benchmark: the publisher, the consuming endpoint, or both, on a bus in <c>directory</c>.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private BenchHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IBus Bus => Host.Services.GetRequiredService<IBus>();

    public BenchRecorder Recorder => Host.Services.GetRequiredService<BenchRecorder>();

    public static async Task<BenchHost> StartAsync(BenchmarkOptions options, string directory, bool consume)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new BenchRecorder());
        builder.Services.AddSingleton(options);
        var effectivelyOnce = consume && options.DeliveryMode == DeliveryMode.EffectivelyOnce;
        builder.Services.AddTidings(t =>
        {
            UseTransport(t, options, directory);
            t.AddMessage<BenchMessage>();
            if (effectivelyOnce && options.Store == "postgres")
            {
                t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = options.Postgres, Schema = BenchDatabase.Schema });
                t.AddMessage<BenchProcessed>();
            }
            else if (effectivelyOnce)
            {
                t.UseSqliteStore(new SqliteStoreOptions { Path = Path.Combine(directory, "consumer.db"), DurableCommits = options.Durable });
                t.AddMessage<BenchProcessed>();
            }

            if (consume)
            {
                t.AddEndpoint(options.Queue("bench"), e =>
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
            }
        });

        var host = builder.Build();
        if (effectivelyOnce && options.Store == "postgres")
        {
            await BenchDatabase.PrepareAsync(host.Services.GetRequiredService<PostgreSqlStore>());
        }
        else if (effectivelyOnce)
        {
            using var connection = host.Services.GetRequiredService<SqliteStore>().Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE IF NOT EXISTS bench_effects (seq INTEGER NOT NULL)";
            command.ExecuteNonQuery();
        }

        await host.StartAsync();
        return new BenchHost(host);
    }

    /// <summary>A host whose endpoint <paramref name="queue"/> answers <see cref="BenchRequest"/>s; its bus sends them.</summary>
    public static async Task<BenchHost> StartResponderAsync(BenchmarkOptions options, string directory, string queue)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new BenchRecorder());
        builder.Services.AddTidings(t =>
        {
            UseTransport(t, options, directory);
            t.AddEndpoint(queue, e =>
            {
                e.Handle<BenchRequest, BenchRequestHandler>();
                e.Concurrency = options.Concurrency;
                e.Prefetch = options.Prefetch;
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return new BenchHost(host);
    }

    /// <summary>The run's transport: RabbitMQ of the given queue type, or the SQLite bus in <paramref name="directory"/>.</summary>
    public static void UseTransport(TidingsBuilder t, BenchmarkOptions options, string directory)
    {
        if (options.Transport == "rabbitmq")
        {
            t.UseRabbitMq(new RabbitMqTransportOptions
            {
                ConnectionString = new Uri(options.RabbitMq),
                QueueType = options.QueueType == "classic" ? QueueType.Classic : QueueType.Quorum,
            });
        }
        else
        {
            t.UseSqlite(new SqliteTransportOptions { Path = Path.Combine(directory, "bus.db"), DurableCommits = options.Durable });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
