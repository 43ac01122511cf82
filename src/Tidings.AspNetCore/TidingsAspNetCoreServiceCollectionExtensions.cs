using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tidings.AspNetCore;
using Tidings.Stores;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Tidings' ASP.NET Core parts.</summary>
public static class TidingsAspNetCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds accepted requests (<see cref="AcceptedEndpoints.MapAccepted"/>) with their idempotency keys, problem details,
    /// and the clean-up of expired keys. Call after <c>AddTidings</c> with a store.
    /// </summary>
    public static IServiceCollection AddTidingsAspNetCore(this IServiceCollection services, Action<TidingsAspNetCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<TidingsAspNetCoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.IdempotencyKeyExpiry > TimeSpan.Zero, "IdempotencyKeyExpiry must be positive.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.IdempotencyKeyHeader), "IdempotencyKeyHeader must name a header.")
            .Validate(o => o.CallerIdentity is not null, "CallerIdentity must be set.")
            .Validate(o => o.RetryAfter >= TimeSpan.Zero && o.ResourceTokenLifetime > TimeSpan.Zero, "RetryAfter must not be negative, ResourceTokenLifetime must be positive.")
            .Validate(o => o.IdempotencyCleanupInterval > TimeSpan.Zero, "IdempotencyCleanupInterval must be positive.")
            .Validate(o => o.EventsHeartbeatInterval > TimeSpan.Zero && o.EventsPollInterval > TimeSpan.Zero, "EventsHeartbeatInterval and EventsPollInterval must be positive.")
            .Validate(o => o.MaxIdempotencyKeyLength > 0 && o.MaxRequestBodyBytes > 0, "The key and body limits must be positive.")
            .ValidateOnStart();
        services.AddProblemDetails();
        services.TryAddSingleton<IdempotencyKeys>();
        services.AddDataProtection();
        services.TryAddSingleton<ResourceTokens>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, IdempotencyCleanup>(sp => new IdempotencyCleanup(
            sp.GetService<IIdempotencyStore>(), sp.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<IdempotencyCleanup>>())));
        return services;
    }
}
