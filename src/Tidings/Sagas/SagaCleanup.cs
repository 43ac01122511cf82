using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Stores;

namespace Tidings;

/// <summary>
/// Removes kept completed saga instances older than their saga's <see cref="SagaOptions.CompletedRetention"/>, every
/// <see cref="TidingsOptions.InboxCleanupInterval"/>, as the inbox clean-up does for handled ids.
/// </summary>
internal sealed partial class SagaCleanup(ISagaStore sagas, IReadOnlyList<SagaRegistration> kept, TidingsOptions options, TimeProvider time, ILogger<SagaCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var saga in kept)
            {
                try
                {
                    var removed = await sagas.PurgeCompletedAsync(saga.Name, saga.Options.CompletedRetention, stoppingToken).ConfigureAwait(false);
                    LogPurged(logger, removed, saga.Name);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // Clean-up is housekeeping: a failure is logged and tried at the next interval.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogFailed(logger, ex, saga.Name);
                }
            }

            try
            {
                await Task.Delay(options.InboxCleanupInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "Saga clean-up removed {Count} completed instances of {Saga}.")]
    private static partial void LogPurged(ILogger logger, int count, string saga);

    [LoggerMessage(LogLevel.Warning, "Saga clean-up of {Saga} failed; trying again at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception ex, string saga);
}
