using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tidings;
using Tidings.AspNetCore.Health;
using Tidings.Stores;
using Tidings.Transport;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Tidings' health checks.</summary>
public static class TidingsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <c>tidings-transport</c> (the broker or bus database is reachable; unhealthy if not), <c>tidings-store</c>
    /// (the service's database answers; unhealthy if not), <c>tidings-outbox</c> (its oldest message is younger than
    /// <see cref="TidingsHealthCheckOptions.OutboxMaxAge"/>; degraded if not) and <c>tidings-dead-letters</c> (no more
    /// than <see cref="TidingsHealthCheckOptions.DeadLetterThreshold"/> dead letters; degraded if more), tagged
    /// <c>ready</c> (see <see cref="TidingsHealthCheckOptions.Tags"/>). The store checks are added when a store is.
    /// </summary>
    public static IHealthChecksBuilder AddTidingsHealthChecks(this IHealthChecksBuilder builder, Action<TidingsHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new TidingsHealthCheckOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options.Timeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.OutboxMaxAge, TimeSpan.Zero, nameof(options.OutboxMaxAge));
        ArgumentOutOfRangeException.ThrowIfNegative(options.DeadLetterThreshold, nameof(options.DeadLetterThreshold));
        var tags = options.Tags.ToArray();
        Add(builder, "tidings-transport", sp => new TransportHealthCheck(sp.GetRequiredService<ITransport>()), HealthStatus.Unhealthy, tags, options);
        Add(builder, "tidings-store", sp => sp.GetService<ITransactionalStore>() is { } store
            ? new StoreHealthCheck(store)
            : new FixedHealthCheck("No store is registered."), HealthStatus.Unhealthy, tags, options);
        Add(builder, "tidings-outbox", sp => sp.GetService<IOutboxStore>() is { } outbox
            ? new OutboxHealthCheck(outbox, options, sp.GetService<TimeProvider>() ?? TimeProvider.System)
            : new FixedHealthCheck("No outbox is registered."), HealthStatus.Degraded, tags, options);
        Add(builder, "tidings-dead-letters", sp => new DeadLetterHealthCheck(sp.GetRequiredService<ITransport>(), sp.GetRequiredService<TidingsOptions>(), options,
            StoredDeadLetters(sp)), HealthStatus.Degraded, tags, options);
        return builder;
    }

    /// <summary>The store's dead letters, when the transport's are moved there (it cannot browse its own); else null.</summary>
    private static Tidings.DeadLetters.IDeadLetters? StoredDeadLetters(IServiceProvider services)
    {
        if (services.GetRequiredService<ITransport>() is Tidings.DeadLetters.IDeadLetters)
        {
            return null;
        }

        try
        {
            return services.GetService<Tidings.DeadLetters.IDeadLetters>();
        }
        catch (InvalidOperationException)
        {
            return null; // no store keeps them: they stay in the broker's dead-letter queues, which the check counts
        }
    }

    private static void Add(IHealthChecksBuilder builder, string name, Func<IServiceProvider, IHealthCheck> create, HealthStatus failure, string[] tags, TidingsHealthCheckOptions options) =>
        builder.Add(new HealthCheckRegistration(name, create, failure, tags, options.Timeout));

    private sealed class FixedHealthCheck(string description) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(HealthCheckResult.Healthy(description));
    }
}
