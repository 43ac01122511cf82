using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Tidings.Stores;

namespace Tidings.Sqlite;

/// <summary>Adds the SQLite transport and store to <see cref="TidingsBuilder"/>.</summary>
public static class TidingsBuilderSqliteExtensions
{
    /// <summary>Uses the SQLite transport on the bus file at <paramref name="path"/> (e.g. <c>data/bus.db</c>).</summary>
    public static TidingsBuilder UseSqlite(this TidingsBuilder builder, string path) =>
        builder.UseSqlite(new SqliteTransportOptions { Path = path });

    /// <summary>Uses the SQLite transport with <paramref name="options"/>.</summary>
    public static TidingsBuilder UseSqlite(this TidingsBuilder builder, SqliteTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseTransport(sp => new SqliteTransport(options, sp.GetService<TimeProvider>()));
    }

    /// <summary>Keeps the outbox and inbox in the service's own SQLite database at <paramref name="path"/> (not the bus file).</summary>
    public static TidingsBuilder UseSqliteStore(this TidingsBuilder builder, string path) =>
        builder.UseSqliteStore(new SqliteStoreOptions { Path = path });

    /// <summary>Keeps the outbox, inbox, saga state and scheduled messages in the service's own SQLite database. <see cref="SqliteStore"/> is registered for the service's own use.</summary>
    public static TidingsBuilder UseSqliteStore(this TidingsBuilder builder, SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.Services.AddSingleton(_ => new SqliteStore(options));

        // First of the host's services to start: a database that cannot be created stops the start with one clear error.
        builder.Services.AddSingleton<IHostedService>(sp => new SqliteStoreStartup(sp.GetRequiredService<SqliteStore>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<ISagaStore>(sp => new SqliteSagaStore(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<IScheduleStore>(sp => new SqliteScheduleStore(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<IIdempotencyStore>(sp => new SqliteIdempotencyStore(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<Tidings.DeadLetters.IDeadLetterStore>(sp => new SqliteDeadLetterStore(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<Tidings.Operations.IStoreInspector>(sp => new SqliteStoreInspector(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>())));
        return builder.UseStore(
            sp => sp.GetRequiredService<SqliteStore>(),
            sp => new SqliteOutboxStore(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>()),
            sp => new SqliteInboxStore(sp.GetRequiredService<SqliteStore>(), sp.GetService<TimeProvider>()));
    }
}

/// <summary>Creates the service's database (and Tidings' tables in it) when the host starts, before anything uses it.</summary>
internal sealed class SqliteStoreStartup(SqliteStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.EnsureCreated();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
