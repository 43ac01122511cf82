using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Tidings.DeadLetters;
using Tidings.Operations;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;
using Tidings.Transport;

namespace Tidings.Cli.Connection;

/// <summary>What a command needs of the bus and the store.</summary>
public enum ToolNeeds
{
    /// <summary>The bus alone (queues).</summary>
    Bus,

    /// <summary>The service's store alone (outbox, schedules, sagas): nothing runs, the tool only reads and changes rows.</summary>
    Store,

    /// <summary>The dead letters: the SQLite bus file's own, or on RabbitMQ the store's (whose replay returns once the outbox has sent it).</summary>
    DeadLetters,
}

/// <summary>
/// Tidings with no endpoints of its own, on the bus and store a service uses: checked before use (reached, with
/// Tidings' tables at this version), never created or migrated. Its host is built, never started: none of the service's
/// background work (relays, inbox cleanup) runs in the tool.
/// </summary>
public sealed class ToolConnection : IAsyncDisposable
{
    private static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(15);
    private readonly IHost _host;

    private ToolConnection(IHost host, BusAddress address)
    {
        _host = host;
        Address = address;
    }

    /// <summary>Now, on the clock Tidings is given (the system's, unless a test gives another).</summary>
    public DateTimeOffset Now => _host.Services.GetRequiredService<TimeProvider>().GetUtcNow();

    /// <summary>The service's store, as an operator sees it.</summary>
    public IStoreInspector Store => _host.Services.GetRequiredService<IStoreInspector>();

    /// <summary>The store's sagas.</summary>
    public ISagaInspector Sagas => _host.Services.GetRequiredService<ISagaInspector>();

    /// <summary>The store's scheduled messages, to cancel one.</summary>
    public IMessageScheduler Scheduler => _host.Services.GetRequiredService<IMessageScheduler>();

    /// <summary>The bus's queues.</summary>
    public IQueueStatistics Queues => _host.Services.GetRequiredService<ITransport>() as IQueueStatistics
        ?? throw new ToolException(ExitCodes.Failed, $"{Address.Describe()} cannot report its queues.");

    /// <summary>The bus itself, for a dashboard that hears the services' flow reports.</summary>
    public ITransport Transport => _host.Services.GetRequiredService<ITransport>();

    /// <summary>What the tool talks to.</summary>
    public BusAddress Address { get; }

    /// <summary>The dead letters of the bus or the store.</summary>
    public IDeadLetters DeadLetters => _host.Services.GetRequiredService<IDeadLetters>();

    /// <summary>The bus's health, for queue depths.</summary>
    public ITransportHealth Health => (ITransportHealth)_host.Services.GetRequiredService<ITransport>();

    /// <summary>Opens the bus and store <paramref name="settings"/> name, or explains in one line why it cannot.</summary>
    public static async Task<ToolConnection> OpenAsync(ConnectionSettings settings, ToolNeeds needs, CancellationToken cancellationToken)
    {
        var address = BusAddress.Resolve(settings, busRequired: needs != ToolNeeds.Store);
        if (needs == ToolNeeds.DeadLetters && address.RabbitMq is not null && !address.HasStore)
        {
            throw new ToolException(ExitCodes.Usage,
                "On RabbitMQ the dead letters are kept in a service's store: give --service NAME (ConnectionStrings:NAME-db), --postgres CONNECTION or --db PATH.");
        }

        if (needs == ToolNeeds.Store && !address.HasStore)
        {
            throw new ToolException(ExitCodes.Usage,
                "Which store? Give --db PATH (the service's SQLite database), or --service NAME (ConnectionStrings:NAME-db) or --postgres CONNECTION.");
        }

        foreach (var (file, what) in new[] { (address.BusFile, "bus file"), (address.StoreFile, "database") })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new ToolException(ExitCodes.Unreachable, $"No {what} at {file}.");
            }
        }

        var host = Build(settings, address);
        var connection = new ToolConnection(host, address);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReachTimeout);
            await connection.CheckAsync(timeout.Token).ConfigureAwait(false);
            return connection;
        }
        catch (ToolException) when (cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new OperationCanceledException(cancellationToken); // Ctrl+C, not an unreachable bus
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the transport and store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _host.Dispose();
        }
    }

    private static IHost Build(ConnectionSettings settings, BusAddress address)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.ClearProviders();
        if (settings.Verbose)
        {
            // Standard error only: standard output is the command's answer, which scripts read.
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(LogLevel.Information);
        }

        try
        {
            builder.Services.AddTidings(t =>
            {
                if (address.BusFile is not null)
                {
                    t.UseSqlite(address.BusFile);
                }
                else if (address.RabbitMq is not null)
                {
                    // The services forward delayed messages; a tool that came and went would cut forwards short.
                    t.UseRabbitMq(new Tidings.RabbitMQ.RabbitMqTransportOptions { ConnectionString = new Uri(address.RabbitMq), RunDelayForwarder = false });
                }
                else
                {
                    // A store command: nothing is started, so nothing is ever sent through this stand-in.
                    t.UseInMemoryTransport();
                }

                if (address.Postgres is not null)
                {
                    t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = address.Postgres, Schema = address.Schema, MigrateOnStart = false });
                }
                else if (address.StoreFile is not null)
                {
                    t.UseSqliteStore(address.StoreFile);
                }

                // The tool measures when asked; the gauges are the services' own.
                t.Configure(o => o.StatisticsInterval = TimeSpan.Zero);
            });
            var host = builder.Build();
            _ = host.Services.GetRequiredService<ITransport>();
            _ = address.Postgres is null ? null : host.Services.GetRequiredService<PostgreSqlStore>();
            return host;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new ToolException(ExitCodes.Unreachable, $"Bad connection string: {ex.Message}", ex);
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (Address.HasBus)
            {
                await Health.CheckConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not ToolException)
        {
            throw new ToolException(ExitCodes.Unreachable, $"Cannot reach {Address.Describe()}: {Reason(ex, cancellationToken)}", ex);
        }

        if (Address.StoreFile is not null)
        {
            SqliteStoreCheck.Check(Address.StoreFile);
        }

        if (Address.Postgres is null)
        {
            return;
        }

        var store = _host.Services.GetRequiredService<PostgreSqlStore>();
        var given = new NpgsqlConnectionStringBuilder(Address.Postgres);
        var where = $"PostgreSQL at {given.Host ?? "localhost"}:{given.Port}/{given.Database}";
        int version;
        try
        {
            version = await PostgreSqlSchema.GetVersionAsync(store.DataSource, Address.Schema, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or OperationCanceledException or TimeoutException)
        {
            throw new ToolException(ExitCodes.Unreachable, $"Cannot reach {where}: {Reason(ex, cancellationToken)}", ex);
        }

        if (version == 0)
        {
            throw new ToolException(ExitCodes.Unreachable,
                $"The schema '{Address.Schema}' at {where} has no Tidings tables: is --service or --schema right? (a service makes them when it first starts)");
        }

        if (version < PostgreSqlSchema.Version)
        {
            throw new ToolException(ExitCodes.Unreachable,
                $"The schema '{Address.Schema}' at {where} is at Tidings schema version {version}; this tool needs {PostgreSqlSchema.Version}: start the service on this Tidings version once, which migrates it.");
        }

        if (version > PostgreSqlSchema.Version)
        {
            throw new ToolException(ExitCodes.Unreachable,
                $"The schema '{Address.Schema}' at {where} is at Tidings schema version {version}, newer than this tool's {PostgreSqlSchema.Version}: use the tidings tool of the service's Tidings version.");
        }
    }

    private static string Reason(Exception ex, CancellationToken cancellationToken) =>
        ex is OperationCanceledException && cancellationToken.IsCancellationRequested
            ? $"no answer within {ReachTimeout.TotalSeconds:F0} s"
            : (ex.InnerException is { } inner && ex.Message.Length < 40 ? $"{ex.Message} ({inner.Message})" : ex.Message).ReplaceLineEndings(" ");
}
