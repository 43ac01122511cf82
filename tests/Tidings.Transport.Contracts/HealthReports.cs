using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tidings.Transport.Contracts;

/// <summary>Health reports, asked for until they say what a test waits for.</summary>
public static class HealthReports
{
    /// <summary>Asks <paramref name="health"/> until its report meets <paramref name="condition"/> (60 s at most), and returns that report.</summary>
    public static async Task<HealthReport> WaitForAsync(HealthCheckService health, Func<HealthReport, bool> condition)
    {
        ArgumentNullException.ThrowIfNull(health);
        HealthReport? report = null;
        await Effects.WaitForAsync(async () => condition(report = await health.CheckHealthAsync(TestContext.Current.CancellationToken)), TimeSpan.FromSeconds(60),
            () => report is null ? "no report" : Describe(report));
        return report!;
    }

    /// <summary>Every entry's name, status and description, for a failure message.</summary>
    public static string Describe(HealthReport report) =>
        string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status} ({e.Value.Description})"));
}
