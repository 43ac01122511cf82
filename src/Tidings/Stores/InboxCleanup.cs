using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tidings.Stores;

/// <summary>Forgets inbox entries older than <see cref="TidingsOptions.InboxRetention"/>, every <see cref="TidingsOptions.InboxCleanupInterval"/>.</summary>
internal sealed partial class InboxCleanup(IInboxStore inbox, TidingsOptions options, TimeProvider time, ILogger<InboxCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var removed = await inbox.PurgeAsync(time.GetUtcNow() - options.InboxRetention, stoppingToken).ConfigureAwait(false);
                LogPurged(logger, removed);
                await Task.Delay(options.InboxCleanupInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Clean-up is housekeeping: a failure is logged and tried at the next interval.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex);
                try
                {
                    await Task.Delay(options.InboxCleanupInterval, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // Stopping during the pause after a failure: a stop, not a crash of the host.
                    return;
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "Inbox clean-up removed {Count} expired entries.")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Inbox clean-up failed; trying again at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
