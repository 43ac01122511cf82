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

                var sent = await SendAsync(entries, stoppingToken).ConfigureAwait(false);
                await outbox.RemoveAsync(sent, stoppingToken).ConfigureAwait(false);
                if (sent.Count < entries.Count)
                {
                    throw new UnroutableMessageException(
                        $"{entries.Count - sent.Count} outbox message(s) have no route; they stay in the outbox until their queue is declared.");
                }

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

    /// <summary>
    /// Sends the batch at once; if a message in it has no route, sends one by one so that the others still leave
    /// (in order) and only the unroutable ones stay behind.
    /// </summary>
    private async Task<IReadOnlyList<OutboxEntry>> SendAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            await transport.SendAsync(entries.Select(e => e.Message).ToList(), cancellationToken).ConfigureAwait(false);
            return entries;
        }
        catch (UnroutableMessageException)
        {
            var sent = new List<OutboxEntry>(entries.Count);
            foreach (var entry in entries)
            {
                try
                {
                    await transport.SendAsync([entry.Message], cancellationToken).ConfigureAwait(false);
                    sent.Add(entry);
                }
                catch (UnroutableMessageException ex)
                {
                    LogUnroutable(logger, ex, entry.Message.Envelope.MessageId, entry.Message.Destination.ToString());
                }
            }

            return sent;
        }
    }

    [LoggerMessage(LogLevel.Error, "Outbox message {MessageId} to {Destination} has no route; it stays in the outbox.")]
    private static partial void LogUnroutable(ILogger logger, Exception ex, Guid messageId, string destination);

    [LoggerMessage(LogLevel.Error, "The outbox relay could not send; the messages stay in the outbox. Trying again in {Backoff}.")]
    private static partial void LogRelayFailed(ILogger logger, Exception ex, TimeSpan backoff);
}
