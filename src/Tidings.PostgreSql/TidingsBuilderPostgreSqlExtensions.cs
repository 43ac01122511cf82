using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Tidings.DeadLetters;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>Adds the PostgreSQL outbox and inbox to <see cref="TidingsBuilder"/>.</summary>
public static class TidingsBuilderPostgreSqlExtensions
{
    /// <summary>Keeps the outbox and inbox in the service's own PostgreSQL database at <paramref name="connectionString"/>.</summary>
    public static TidingsBuilder UsePostgreSqlStore(this TidingsBuilder builder, string connectionString) =>
        builder.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = connectionString });

    /// <summary>
    /// Keeps the outbox, inbox, saga state and scheduled messages in the service's own PostgreSQL database. <see cref="PostgreSqlStore"/> is registered
    /// for the service's own use (its <see cref="PostgreSqlStore.DataSource"/>).
    /// </summary>
    public static TidingsBuilder UsePostgreSqlStore(this TidingsBuilder builder, PostgreSqlStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.Services.AddSingleton(sp => new PostgreSqlStore(options, sp.GetService<ILogger<PostgreSqlStore>>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<ISagaStore>(sp => new PostgreSqlSagaStore(sp.GetRequiredService<PostgreSqlStore>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<IScheduleStore>(sp => new PostgreSqlScheduleStore(sp.GetRequiredService<PostgreSqlStore>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<IIdempotencyStore>(sp => new PostgreSqlIdempotencyStore(sp.GetRequiredService<PostgreSqlStore>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeadLetterStore>(sp => new PostgreSqlDeadLetterStore(sp.GetRequiredService<PostgreSqlStore>(), sp.GetService<TimeProvider>())));
        builder.Services.Replace(ServiceDescriptor.Singleton<Tidings.Operations.IStoreInspector>(sp => new PostgreSqlStoreInspector(sp.GetRequiredService<PostgreSqlStore>())));
        return builder.UseStore(
            sp => sp.GetRequiredService<PostgreSqlStore>(),
            sp => new PostgreSqlOutboxStore(sp.GetRequiredService<PostgreSqlStore>()),
            sp => new PostgreSqlInboxStore(sp.GetRequiredService<PostgreSqlStore>()));
    }
}
