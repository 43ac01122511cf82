using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Tidings.DeadLetters;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;
using Tidings.Transport;

namespace Tidings.Cli.Connection;

/// <summary>
/// Tidings with no endpoints of its own, on the bus and store a service uses: checked before use (reached, with
/// Tidings' tables), never created or migrated. It runs as a host so that what a replay hands to the outbox is sent
/// and cleared before the tool exits.
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

    /// <summary>What the tool talks to.</summary>
    public BusAddress Address { get; }

    /// <summary>The dead letters of the bus or the store.</summary>
    public IDeadLetters DeadLetters => _host.Services.GetRequiredService<IDeadLetters>();

    /// <summary>The bus's health, for queue depths.</summary>
    public ITransportHealth Health => (ITransportHealth)_host.Services.GetRequiredService<ITransport>();

    /// <summary>Opens the bus and store <paramref name="settings"/> name, or explains in one line why it cannot.</summary>
    public static async Task<ToolConnection> OpenAsync(ConnectionSettings settings, CancellationToken cancellationToken)
    {
        var address = BusAddress.Resolve(settings);
        if (address.RabbitMq is not null && address.Postgres is null)
        {
            throw new ToolException(ExitCodes.Usage,
                "On RabbitMQ the dead letters are kept in a service's store: give --service NAME (ConnectionStrings:NAME-db) or --postgres CONNECTION.");
        }

        if (address.BusFile is not null && !File.Exists(address.BusFile))
        {
            throw new ToolException(ExitCodes.Unreachable, $"No bus file at {address.BusFile}.");
        }

        var host = Build(settings, address);
        var connection = new ToolConnection(host, address);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReachTimeout);
            await connection.CheckAsync(timeout.Token).ConfigureAwait(false);
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Stops the host: the outbox's last sends complete and are cleared.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
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
                else
                {
                    t.UseRabbitMq(address.RabbitMq!);
                }

                if (address.Postgres is not null)
                {
                    t.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = address.Postgres, Schema = address.Schema, MigrateOnStart = false });
                }
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
            await Health.CheckConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ToolException)
        {
            throw new ToolException(ExitCodes.Unreachable, $"Cannot reach {Address.Describe()}: {Reason(ex, cancellationToken)}", ex);
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
    }

    private static string Reason(Exception ex, CancellationToken cancellationToken) =>
        ex is OperationCanceledException && cancellationToken.IsCancellationRequested
            ? $"no answer within {ReachTimeout.TotalSeconds:F0} s"
            : (ex.InnerException is { } inner && ex.Message.Length < 40 ? $"{ex.Message} ({inner.Message})" : ex.Message).ReplaceLineEndings(" ");
}
