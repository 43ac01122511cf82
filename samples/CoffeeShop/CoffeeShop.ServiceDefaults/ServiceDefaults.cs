using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tidings.AspNetCore;

namespace CoffeeShop.ServiceDefaults;

/// <summary>
/// What every CoffeeShop service sets up the same way, as eShop's service defaults do: OpenTelemetry traces, metrics
/// and logs (to the Aspire dashboard, whose OTLP address Aspire passes in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), the
/// standard resilience handler on every HttpClient, and <c>/health</c> and <c>/alive</c>.
/// </summary>
public static class ServiceDefaults
{
    /// <summary>The meters of the shop's own services, beside Tidings', ASP.NET Core's and the runtime's.</summary>
    public const string ShopMeters = "CoffeeShop.*";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddOpenTelemetry(logging => (logging.IncludeFormattedMessage, logging.IncludeScopes) = (true, true));
        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation()
                .AddTidingsInstrumentation().AddMeter(ShopMeters))
            .WithTracing(tracing => tracing.AddSource(builder.Environment.ApplicationName)
                // One order's trace: the POST, its messages through the outbox and queues, the handlers, the gateway call.
                .AddAspNetCoreInstrumentation(http => http.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddTidingsInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        // Timeout per attempt, retries with backoff and jitter, and a circuit breaker, on every outgoing call.
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());

        // Alive: the process answers. The Tidings checks (bus, store, outbox) are readiness, at /health.
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary><c>/health</c> (every check: ready to take work) and <c>/alive</c> (the checks tagged <c>live</c>).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        return app;
    }

    private static bool IsProbe(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/health", StringComparison.Ordinal) || path.StartsWithSegments("/alive", StringComparison.Ordinal);
}
