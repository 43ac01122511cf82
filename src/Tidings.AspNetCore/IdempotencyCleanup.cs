using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Stores;

namespace Tidings.AspNetCore;

/// <summary>Removes expired idempotency keys every <see cref="TidingsAspNetCoreOptions.IdempotencyCleanupInterval"/>.</summary>
internal sealed partial class IdempotencyCleanup(IIdempotencyStore? store, TidingsAspNetCoreOptions options, TimeProvider time, ILogger<IdempotencyCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.IdempotencyCleanupInterval, time);
        while (await NextTickAsync(timer, stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var removed = await store.PurgeExpiredAsync(stoppingToken).ConfigureAwait(false);
                LogPurged(logger, removed);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The database may be down; the next tick tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogPurgeFailed(logger, ex);
            }
        }
    }

    /// <summary>False once the service stops, however it stops (a host disposed without being stopped cancels too).</summary>
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Debug, "Removed {Count} expired idempotency keys.")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Could not remove expired idempotency keys; trying again at the next interval.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception ex);
}
