using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Diagnostics;
using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>
/// Drains the outbox to the transport in batches, oldest first: the messages no one sent right after their commit
/// (another process committed them, the send failed, the process crashed). A message is removed only after the
/// transport stored it, so whatever committed to the outbox is eventually sent, across crashes (a crash between the
/// send and the removal sends it again with the same message id, which inboxes recognise). It also removes, in
/// batches, the messages <see cref="OutboxDispatcher"/> sent.
/// </summary>
internal sealed partial class OutboxRelay(
    IOutboxStore outbox, ITransport transport, OutboxDispatcher dispatcher, TidingsOptions options, TimeProvider time, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly Task Never = new TaskCompletionSource().Task;
    private static readonly KeyValuePair<string, object?> RelayPath = new("tidings.outbox.path", "relay");

    // Removing sent messages costs a commit of the service's database. Under load, effectively-once batches take the
    // removal along in their own transactions; the relay removes what is left once things are quiet for a moment.
    private static readonly TimeSpan CleanupDelay = TimeSpan.FromMilliseconds(200);
    private const int CleanupBatch = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RelayAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await dispatcher.WhenSendsCompleteAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await RemoveSentBeforeStoppingAsync().ConfigureAwait(false);
        }
    }

    private async Task RelayAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var lookAtOutbox = true;
        var lastLook = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var relayTicket = dispatcher.RelayWakeup.Ticket;
                var releasedTicket = outbox.Released?.Ticket ?? Never;
                var cleanupTicket = dispatcher.CleanupWakeup.Ticket;
                if (dispatcher.SentWaitingForRemoval > 0)
                {
                    if (dispatcher.SentWaitingForRemoval < CleanupBatch)
                    {
                        await Task.Delay(CleanupDelay, stoppingToken).ConfigureAwait(false);
                    }

                    await dispatcher.RemoveSentAsync(stoppingToken).ConfigureAwait(false);
                }

                lookAtOutbox |= DateTimeOffset.UtcNow - lastLook >= options.OutboxPollInterval;
                if (lookAtOutbox)
                {
                    lastLook = DateTimeOffset.UtcNow;
                }

                var entries = lookAtOutbox ? await dispatcher.FetchUnclaimedAsync(options.OutboxBatchSize, stoppingToken).ConfigureAwait(false) : [];
                if (entries.Count == 0)
                {
                    await Task.WhenAny(relayTicket, releasedTicket, cleanupTicket, Task.Delay(options.OutboxPollInterval, stoppingToken)).ConfigureAwait(false);
                    lookAtOutbox = relayTicket.IsCompleted || releasedTicket.IsCompleted || !cleanupTicket.IsCompleted;
                    continue;
                }

                var sent = await SendAsync(entries, stoppingToken).ConfigureAwait(false);

                // Not cancelled by a stop: what was sent and not removed would be sent again at the next start.
                await outbox.RemoveAsync(sent, CancellationToken.None).ConfigureAwait(false);
                if (sent.Count < entries.Count)
                {
                    throw new UnroutableMessageException(
                        $"{entries.Count - sent.Count} outbox message(s) have no route; they stay in the outbox until their queue is declared.");
                }

                failures = 0;
                lookAtOutbox = true;
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

    private async Task RemoveSentBeforeStoppingAsync()
    {
        try
        {
            await dispatcher.RemoveSentAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Stopping: what is not removed is sent again at the next start, with the same ids.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRelayFailed(logger, ex, TimeSpan.Zero);
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
            RecordLag(entries);
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
                    RecordLag([entry]);
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

    /// <summary>The relay does not know when a message committed; the time it was staged is the nearest it has.</summary>
    private void RecordLag(IReadOnlyList<OutboxEntry> entries)
    {
        var now = time.GetUtcNow();
        foreach (var entry in entries)
        {
            TidingsDiagnostics.OutboxLag.Record(Math.Max(0, (now - entry.Message.Envelope.SentAt).TotalSeconds), RelayPath);
        }
    }

    [LoggerMessage(LogLevel.Error, "Outbox message {MessageId} to {Destination} has no route; it stays in the outbox.")]
    private static partial void LogUnroutable(ILogger logger, Exception ex, Guid messageId, string destination);

    [LoggerMessage(LogLevel.Error, "The outbox relay could not send; the messages stay in the outbox. Trying again in {Backoff}.")]
    private static partial void LogRelayFailed(ILogger logger, Exception ex, TimeSpan backoff);
}
