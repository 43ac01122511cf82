using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Transport;

namespace Tidings.DeadLetters;

/// <summary>
/// Moves what reaches each endpoint's dead-letter queue into the store, for a transport that cannot browse its queues
/// (a broker): a batch is stored in one transaction, then acknowledged. It never rejects: a broker whose dead-letter
/// queue has a delivery limit would drop what is rejected too often. If the store fails, the batch stays unacknowledged
/// in this receiver's hands and is stored again after a pause; a crash gives it back to the broker, and the store keeps
/// one row of a dead letter delivered twice (<see cref="DeadLetterFingerprint"/>).
/// </summary>
internal sealed partial class DeadLetterIngestion(
    ITransport transport, IDeadLetterStore store, TidingsOptions options, IHostApplicationLifetime lifetime, TimeProvider time,
    ILogger<DeadLetterIngestion> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The dead-letter queues exist once the endpoints have started (they declare them); a consumer of a queue not yet
        // declared would be refused by the broker.
        if (!await HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        await Task.WhenAll(options.Endpoints.Select(e => IngestAsync(e.Name, stoppingToken))).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves one endpoint's dead letters for as long as the host runs. A receiver that fails (the broker's connection
    /// lost, the queue deleted) is closed, which gives back what it held, and made anew after a pause.
    /// </summary>
    private async Task IngestAsync(string endpoint, CancellationToken stoppingToken)
    {
        var queue = DeadLetterQueues.For(endpoint);
        var pause = FirstPause;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var receiver = transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromMinutes(5), BatchSize));
                await using (receiver.ConfigureAwait(false))
                {
                    while (true)
                    {
                        var batch = await receiver.ReceiveAsync(BatchSize, stoppingToken).ConfigureAwait(false);
                        await StoreAsync(endpoint, batch, stoppingToken).ConfigureAwait(false);
                        await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList(), stoppingToken).ConfigureAwait(false);
                        LogIngested(logger, batch.Count, queue);
                        pause = FirstPause;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: what was not acknowledged goes back to the queue, and the next start stores it.
                return;
            }
#pragma warning disable CA1031 // Whatever failed, the dead letters wait in the broker: try again rather than stop moving them.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReceiverFailed(logger, ex, queue, pause);
                if (!await PauseAsync(pause, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                pause = Longer(pause);
            }
        }
    }

    private async Task StoreAsync(string endpoint, IReadOnlyList<ReceivedMessage> batch, CancellationToken stoppingToken)
    {
        var rows = batch.Select(m => new IngestedDeadLetter(endpoint, m.Envelope)).ToList();
        var pause = FirstPause;
        while (true)
        {
            try
            {
                await store.IngestAsync(rows, stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogStoreFailed(logger, ex, rows.Count, endpoint, pause);
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
                pause = Longer(pause);
            }
        }
    }

    private static TimeSpan Longer(TimeSpan pause) => TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));

    /// <summary>Waits <paramref name="pause"/>; false if the host stops meanwhile.</summary>
    private async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Error, "Moving the dead letters of {Queue} into the store failed; what was taken goes back to the queue, and moving starts again in {Pause}.")]
    private static partial void LogReceiverFailed(ILogger logger, Exception ex, string queue, TimeSpan pause);

    [LoggerMessage(LogLevel.Debug, "Moved {Count} dead letters from {Queue} into the store.")]
    private static partial void LogIngested(ILogger logger, int count, string queue);

    [LoggerMessage(LogLevel.Warning, "Could not store {Count} dead letters of endpoint {Endpoint}; they stay in its dead-letter queue, and storing is tried again in {Pause}.")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex, int count, string endpoint, TimeSpan pause);
}
