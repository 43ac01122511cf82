using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tidings.Diagnostics;

namespace Tidings.AspNetCore;

/// <summary>
/// One line each for the OpenTelemetry SDK's builders: Tidings' spans (a producer span per message sent, its trace
/// context carried in the message, through the outbox, to a consumer span per handling) and its metrics.
/// </summary>
public static class TidingsOpenTelemetryExtensions
{
    /// <summary>Listens to Tidings' ActivitySource: a request's trace goes on through every message it causes.</summary>
    public static TracerProviderBuilder AddTidingsInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(TidingsDiagnostics.SourceName);
    }

    /// <summary>Listens to Tidings' Meter: messages sent, consumed and dead-lettered, handling time, outbox lag and parking.</summary>
    public static MeterProviderBuilder AddTidingsInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(TidingsDiagnostics.SourceName);
    }
}
