using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.DeadLetters;
using Tidings.Operations;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

/// <summary>Registers Tidings in a service collection.</summary>
public static class TidingsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the bus (<see cref="IBus"/>), the endpoints and their handlers, and a hosted service that runs them.
    /// A transport is required (e.g. <c>UseSqlite</c>); a store (e.g. <c>UseSqliteStore</c>) adds the outbox and inbox.
    /// </summary>
    public static IServiceCollection AddTidings(this IServiceCollection services, Action<TidingsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new TidingsBuilder(services);
        configure(builder);
        if (!builder.HasTransport)
        {
            throw new InvalidOperationException("Tidings needs a transport: call UseSqlite(...), UseInMemoryTransport() or another Use...Transport in AddTidings.");
        }

        var options = builder.Options;
        RefuseSharedSagaNames(options);
        foreach (var endpoint in options.Endpoints)
        {
            endpoint.Validate();
            if (endpoint.DeliveryMode == DeliveryMode.EffectivelyOnce && !builder.HasStore)
            {
                throw new InvalidOperationException(
                    $"Endpoint '{endpoint.Name}' is effectively-once, which needs the inbox and outbox in the service's own database: call UseSqliteStore(...) or another store in AddTidings.");
            }

            foreach (var binding in endpoint.Sagas.SelectMany(saga => saga.Definition.Bindings))
            {
                options.Registry.Register(binding.MessageType);
            }

            foreach (var handler in endpoint.Handlers)
            {
                options.Registry.Register(handler.MessageType);
                // Made anew for each message in its scope (transient: the scope keeps no record of a handler that needs
                // no disposing); what the handler depends on may be scoped (a DbContext), and is shared by the message's handlers.
                services.TryAddTransient(handler.HandlerType);
            }
        }

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new BusRuntime(options, sp.GetRequiredService<ITransport>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ReplyListener>();
        services.AddSingleton<IBus, MessageBus>();
        services.TryAddSingleton<IDeadLetters>(sp => sp.GetRequiredService<ITransport>() is IDeadLetters native ? native
            : sp.GetService<IDeadLetterStore>() is { } stored && builder.HasStore && options.MoveDeadLettersToStore
                ? new StoreDeadLetters(stored, sp.GetRequiredService<ITransactionalStore>(), sp.GetRequiredService<OutboxDispatcher>())
                : throw new InvalidOperationException(
                    $"The {sp.GetRequiredService<ITransport>().Name} transport cannot list or replay dead letters by itself: use a store that keeps them (UsePostgreSqlStore, UseSqliteStore), into which Tidings moves them, and leave TidingsOptions.MoveDeadLettersToStore on."));
        if (builder.HasStore)
        {
            services.AddSingleton<OutboxDispatcher>();
            services.AddSingleton<ITransactionalSessionFactory, TransactionalSessionFactory>();
            services.AddSingleton<ParkedOutboxMonitor>();
            // Registered before the endpoints' host so it stops after them and relays what their last batches staged.
            services.AddSingleton<IHostedService, OutboxRelay>();
            services.AddSingleton<IHostedService, InboxCleanup>();
            services.AddSingleton<IHostedService>(sp =>
                sp.GetRequiredService<ITransport>() is not IDeadLetters && options.MoveDeadLettersToStore && sp.GetService<IDeadLetterStore>() is { } deadLetters
                    ? new DeadLetterIngestion(sp.GetRequiredService<ITransport>(), deadLetters, options, sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<TimeProvider>(),
                        sp.GetRequiredService<ILogger<DeadLetterIngestion>>())
                    : new IdleService());
            var kept = options.Endpoints.SelectMany(e => e.Sagas).Where(s => s.Options.KeepCompleted).ToList();
            if (kept.Count > 0)
            {
                services.AddSingleton<IHostedService>(sp => new SagaCleanup(sp.GetRequiredService<ISagaStore>(), kept, options,
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SagaCleanup>>()));
            }

            services.AddSingleton<ScheduleWake>();
            services.AddSingleton<SagaChanges>();
            services.AddSingleton<ISagaInspector>(sp => new SagaInspector(sp.GetService<ISagaStore>() ??
                throw new InvalidOperationException("The store keeps no saga state: use a store that does (UseSqliteStore, UsePostgreSqlStore).")));
            services.AddSingleton<IMessageScheduler>(sp => new MessageScheduler(sp.GetRequiredService<BusRuntime>(), sp.GetRequiredService<ITransactionalStore>(),
                sp.GetService<IScheduleStore>() ?? throw new InvalidOperationException("The store keeps no scheduled messages: use a store that does (UseSqliteStore, UsePostgreSqlStore)."),
                sp.GetRequiredService<ScheduleWake>(), sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IHostedService>(sp => sp.GetService<IScheduleStore>() is { } schedules
                ? new ScheduleRelay(schedules, sp.GetRequiredService<ITransport>(), sp.GetRequiredService<ScheduleWake>(), options,
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ScheduleRelay>>(), sp.GetService<WorkTracker>())
                : new IdleService());
        }

        services.AddSingleton(sp =>
        {
            var transport = sp.GetRequiredService<ITransport>();
            Func<string, CancellationToken, Task<long>>? stored = transport is not IDeadLetters && builder.HasStore && options.MoveDeadLettersToStore
                && sp.GetService<IDeadLetterStore>() is { } deadLetters
                    ? (queue, ct) => deadLetters.CountAsync(new DeadLetterQuery { Endpoint = queue }, ct)
                    : null;
            return new StatisticsSampler(transport, builder.HasStore ? sp.GetService<IStoreInspector>() : null, stored, options,
                sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<StatisticsSampler>>(),
                options.ServiceName ?? sp.GetService<IHostEnvironment>()?.ApplicationName ?? "service");
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<StatisticsSampler>());
        services.AddSingleton<IStatisticsHistory>(sp => sp.GetRequiredService<StatisticsSampler>());
        services.AddSingleton<IHostedService, TidingsHostedService>();
        return services;
    }

    /// <summary>
    /// A saga's name keys its instances in the service's one database: two endpoints' sagas under one name would read
    /// and overwrite each other's instances.
    /// </summary>
    private static void RefuseSharedSagaNames(TidingsOptions options)
    {
        var shared = options.Endpoints
            .SelectMany(e => e.Sagas.Select(s => (Endpoint: e.Name, s.Name)))
            .GroupBy(s => s.Name)
            .FirstOrDefault(g => g.Count() > 1);
        if (shared is not null)
        {
            throw new InvalidOperationException(
                $"Saga name '{shared.Key}' is used on endpoints {string.Join(" and ", shared.Select(s => $"'{s.Endpoint}'"))}: it keys the stored instances, so each saga needs a name of its own.");
        }
    }
}
