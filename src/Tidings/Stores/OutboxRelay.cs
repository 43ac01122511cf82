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
/// <remarks>
/// A message the transport refuses because no queue receives it yet is <em>parked</em> in the store with the reason and
/// its attempt count, and left out of the relay's reads until its own backoff runs out (capped by
/// <see cref="TidingsOptions.OutboxMaxRetryDelay"/>): no message, or group of messages, keeps others from being sent.
/// </remarks>
internal sealed partial class OutboxRelay(
    IOutboxStore outbox, ITransport transport, OutboxDispatcher dispatcher, ParkedOutboxMonitor parked, TidingsOptions options, TimeProvider time,
    ILogger<OutboxRelay> logger, WorkTracker? tracker = null)
    : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly Task Never = new TaskCompletionSource().Task;
    private static readonly KeyValuePair<string, object?> RelayPath = new("tidings.outbox.path", "relay");

    // Removing sent messages costs a commit of the service's database. Under load, effectively-once batches take the
    // removal along in their own transactions; the relay removes what is left once things are quiet for a moment.
    private static readonly TimeSpan CleanupDelay = TimeSpan.FromMilliseconds(200);
    private const int CleanupBatch = 1000;

    private OutboxBackoff Backoff => new(FirstRetryDelay, options.OutboxMaxRetryDelay);

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
        var counted = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // What earlier runs parked, once at the start (inside the loop: a store that is down is retried).
                if (!counted)
                {
                    await CountParkedAsync(stoppingToken).ConfigureAwait(false);
                    counted = true;
                }

                var relayTicket = dispatcher.RelayWakeup.Ticket;
                var releasedTicket = outbox.Released?.Ticket ?? Never;
                var cleanupTicket = dispatcher.CleanupWakeup.Ticket;
                if (dispatcher.SentWaitingForRemoval > 0)
                {
                    if (dispatcher.SentWaitingForRemoval < CleanupBatch)
                    {
                        await Task.Delay(CleanupDelay, time, stoppingToken).ConfigureAwait(false);
                    }

                    await dispatcher.RemoveSentAsync(stoppingToken).ConfigureAwait(false);
                }

                lookAtOutbox |= time.GetUtcNow() - lastLook >= PollInterval;
                if (lookAtOutbox)
                {
                    lastLook = time.GetUtcNow();
                }

                var entries = lookAtOutbox ? await dispatcher.FetchUnclaimedAsync(options.OutboxBatchSize, stoppingToken).ConfigureAwait(false) : [];
                if (entries.Count == 0)
                {
                    if (lookAtOutbox && parked.Parked.Count > 0)
                    {
                        await CountParkedAsync(stoppingToken).ConfigureAwait(false);
                    }

                    await Task.WhenAny(relayTicket, releasedTicket, cleanupTicket, Task.Delay(PollInterval, time, stoppingToken)).ConfigureAwait(false);
                    lookAtOutbox = relayTicket.IsCompleted || releasedTicket.IsCompleted || !cleanupTicket.IsCompleted;
                    continue;
                }

                await SendFetchedAsync(entries, stoppingToken).ConfigureAwait(false);

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
                var backoff = Backoff.DelayAfter(failures);
                LogRelayFailed(logger, ex, backoff);
                try
                {
                    await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One round of the relay, for a caller that drives it step by step (the simulation): returns the messages it sent.</summary>
    internal async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var entries = await dispatcher.FetchUnclaimedAsync(options.OutboxBatchSize, cancellationToken).ConfigureAwait(false);
        return entries.Count == 0 ? 0 : await SendFetchedAsync(entries, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends what a read of the outbox returned, removes what was sent, and parks what no queue takes.</summary>
    private async Task<int> SendFetchedAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken stoppingToken)
    {
        tracker?.Enter();
        try
        {
            var (sent, refused) = await SendAsync(entries, stoppingToken).ConfigureAwait(false);

            // Not cancelled by a stop: what was sent and not removed would be sent again at the next start.
            await outbox.RemoveAsync(sent, CancellationToken.None).ConfigureAwait(false);
            if (refused > 0 || parked.Parked.Count > 0)
            {
                await CountParkedAsync(stoppingToken).ConfigureAwait(false);
            }

            return sent.Count;
        }
        finally
        {
            tracker?.Exit();
        }
    }

    /// <summary>Parked messages come due within the retry cap: the relay looks at least that often.</summary>
    private TimeSpan PollInterval => options.OutboxPollInterval < options.OutboxMaxRetryDelay ? options.OutboxPollInterval : options.OutboxMaxRetryDelay;

    private async Task CountParkedAsync(CancellationToken cancellationToken) =>
        parked.Update(await outbox.CountParkedAsync(cancellationToken).ConfigureAwait(false));

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
    /// Sends the batch at once. If a message in it has no route, sends it destination by destination (each in order), so
    /// that the others still leave and only the messages of a destination with no queue are parked.
    /// </summary>
    private async Task<(IReadOnlyList<OutboxEntry> Sent, int Refused)> SendAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            await transport.SendAsync(entries.Select(e => e.Message).ToList(), cancellationToken).ConfigureAwait(false);
            RecordLag(entries);
            return (entries, 0);
        }
        catch (UnroutableMessageException)
        {
            var sent = new List<OutboxEntry>(entries.Count);
            var refused = 0;
            foreach (var group in entries.GroupBy(e => e.Message.Destination))
            {
                var messages = group.ToList();
                try
                {
                    await transport.SendAsync(messages.Select(e => e.Message).ToList(), cancellationToken).ConfigureAwait(false);
                    RecordLag(messages);
                    sent.AddRange(messages);
                }
                catch (UnroutableMessageException ex)
                {
                    // Logged when a message is first refused; after that the monitor's summary line speaks for it.
                    refused += messages.Count;
                    await outbox.ParkAsync(messages, ex.Message, Backoff, cancellationToken).ConfigureAwait(false);
                    if (messages.Exists(e => e.Attempts == 0))
                    {
                        LogParked(logger, ex, messages.Count, group.Key.ToString(), options.OutboxMaxRetryDelay);
                    }
                }
            }

            return (sent, refused);
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

    [LoggerMessage(LogLevel.Warning,
        "{Count} outbox message(s) to {Destination} have no route; they are parked and tried again at least every {MaxDelay} until their queue is declared.")]
    private static partial void LogParked(ILogger logger, Exception ex, int count, string destination, TimeSpan maxDelay);

    [LoggerMessage(LogLevel.Error, "The outbox relay could not send; the messages stay in the outbox. Trying again in {Backoff}.")]
    private static partial void LogRelayFailed(ILogger logger, Exception ex, TimeSpan backoff);
}
