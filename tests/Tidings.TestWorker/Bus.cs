using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;

namespace Tidings.TestWorker;

/// <summary>The worker's bus and database, from its arguments, for every role.</summary>
internal static class Bus
{
    public static void Configure(TidingsBuilder t, string role, Dictionary<string, string> options)
    {
        if (options.TryGetValue("rabbitmq", out var rabbitMq))
        {
            t.UseRabbitMq(new RabbitMqTransportOptions { ConnectionString = new Uri(rabbitMq), RecoveryInterval = TimeSpan.FromMilliseconds(500) });
        }
        else
        {
            t.UseSqlite(new SqliteTransportOptions
            {
                Path = options["bus"],
                PollInterval = TimeSpan.FromMilliseconds(20),
                TemporaryQueueExpiry = TimeSpan.FromMilliseconds(int.Parse(options.GetValueOrDefault("temporary-expiry-ms", "60000"), System.Globalization.CultureInfo.InvariantCulture)),
            });
        }

        t.AddMessage<WorkItem>();
        t.AddMessage<HttpWorkAccepted>();
        if (options.TryGetValue("db", out var db))
        {
            t.UseSqliteStore(db);
            t.Configure(o => o.OutboxPollInterval = TimeSpan.FromMilliseconds(100));
        }
        else if (options.TryGetValue("postgres", out var postgres))
        {
            t.UsePostgreSqlStore(new PostgreSqlStoreOptions
            {
                ConnectionString = postgres,
                Schema = options["schema"],
                ClaimDuration = TimeSpan.FromMilliseconds(int.Parse(options.GetValueOrDefault("claim-ms", "1000"), System.Globalization.CultureInfo.InvariantCulture)),
            });
            t.Configure(o => o.OutboxPollInterval = TimeSpan.FromMilliseconds(100));
        }

        if (role == "deadline")
        {
            t.AddEndpoint("deadlines", e =>
            {
                e.Saga<DeadlineSaga>("deadline");
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            });
            t.Configure(o => o.SchedulePollInterval = TimeSpan.FromMilliseconds(100));
        }

        if (role == "consume")
        {
            t.AddEndpoint("work", e =>
            {
                e.Handle<WorkItem, WorkItemHandler>();
                e.DeliveryMode = options["mode"] == "effectively-once" ? DeliveryMode.EffectivelyOnce : DeliveryMode.AtLeastOnce;
                e.LeaseDuration = TimeSpan.FromSeconds(int.Parse(options.GetValueOrDefault("lease-seconds", "2"), System.Globalization.CultureInfo.InvariantCulture));
                e.Concurrency = 2;
                e.Prefetch = 10;
            });
        }
    }
}
