using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>
/// Drains the outbox to the transport in batches, oldest first. A message is removed only after the transport
/// stored it, so whatever committed to the outbox is eventually sent, across crashes (a crash between the send and
/// the removal sends it again with the same message id, which inboxes recognise).
/// </summary>
internal sealed partial class OutboxRelay(
    IOutboxStore outbox, ITransport transport, OutboxWakeup wakeup, TidingsOptions options, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var ticket = wakeup.Signal.Ticket;
                var entries = await outbox.FetchAsync(options.OutboxBatchSize, stoppingToken).ConfigureAwait(false);
                if (entries.Count == 0)
                {
                    await WakeSignal.WaitAsync(ticket, options.OutboxPollInterval, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await transport.SendAsync(entries.Select(e => e.Message).ToList(), stoppingToken).ConfigureAwait(false);
                await outbox.RemoveAsync(entries, stoppingToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The relay never dies: it logs, backs off and tries again; the outbox keeps the messages.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10))));
                LogRelayFailed(logger, ex, backoff);
                try
                {
                    await Task.Delay(backoff, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "The outbox relay could not send; the messages stay in the outbox. Trying again in {Backoff}.")]
    private static partial void LogRelayFailed(ILogger logger, Exception ex, TimeSpan backoff);
}
