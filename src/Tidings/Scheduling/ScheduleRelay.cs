using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Diagnostics;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

/// <summary>
/// Sends scheduled messages when they are due: takes the due ones from <see cref="IScheduleStore"/> (claimed, so that of
/// several instances one sends each), sends them with the transport, and removes them. A crash between the send and the
/// removal sends a message again once its claim runs out, with the same message id, so effectively-once endpoints take
/// it once. It waits for the next due time by the injected <see cref="TimeProvider"/>, at most
/// <see cref="TidingsOptions.SchedulePollInterval"/> (another instance may have scheduled something sooner).
/// </summary>
internal sealed partial class ScheduleRelay(
    IScheduleStore schedules, ITransport transport, ScheduleWake wake, TidingsOptions options, TimeProvider time, ILogger<ScheduleRelay> logger, WorkTracker? tracker = null)
    : BackgroundService
{
    private const int BatchSize = 100;
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var ticket = wake.Ticket;
            TimeSpan wait;
            try
            {
                // A read first: fetching claims, which on SQLite takes the write lock, and most looks find nothing due.
                var next = await schedules.NextDueInAsync(stoppingToken).ConfigureAwait(false);
                if (next <= TimeSpan.Zero)
                {
                    var sent = await SendDueAsync(stoppingToken).ConfigureAwait(false);
                    if (sent == BatchSize)
                    {
                        continue;
                    }

                    // Due but not fetched (locked by a unit of work that is cancelling it, say): look again shortly, not at once.
                    next = sent == 0 ? MinimumWait : TimeSpan.Zero;
                }

                wait = next is { } due && due < options.SchedulePollInterval ? due : options.SchedulePollInterval;
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The database or the transport may be down: nothing is lost, the relay tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                LogFailed(logger, ex);
                wait = TimeSpan.FromMilliseconds(Math.Min(options.SchedulePollInterval.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10))));
            }

            if (wait > TimeSpan.Zero)
            {
                await WaitAsync(ticket, wait, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends what is due; a message the transport refuses (its queue does not exist yet) stays claimed, and is tried again when its claim runs out.</summary>
    internal async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        tracker?.Enter();
        try
        {
            return await SendClaimedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            tracker?.Exit();
        }
    }

    private async Task<int> SendClaimedAsync(CancellationToken cancellationToken)
    {
        var due = await schedules.FetchDueAsync(BatchSize, cancellationToken).ConfigureAwait(false);
        if (due.Count == 0)
        {
            return 0;
        }

        var sent = new List<Guid>(due.Count);
        try
        {
            await transport.SendAsync(due.Select(d => d.Message).ToList(), cancellationToken).ConfigureAwait(false);
            sent.AddRange(due.Select(d => d.Id));
        }
        catch (UnroutableMessageException)
        {
            // One refused destination must not hold back the others: one at a time.
            foreach (var scheduled in due)
            {
                try
                {
                    await transport.SendAsync([scheduled.Message], cancellationToken).ConfigureAwait(false);
                    sent.Add(scheduled.Id);
                }
                catch (UnroutableMessageException ex)
                {
                    LogUnroutable(logger, ex, scheduled.Id, scheduled.Message.Destination.Name);
                }
            }
        }

        await schedules.RemoveAsync(sent, cancellationToken).ConfigureAwait(false);
        var sentIds = sent.ToHashSet();
        foreach (var scheduled in due.Where(d => sentIds.Contains(d.Id)))
        {
            TidingsDiagnostics.CountSent(transport.Name, scheduled.Message.Destination.Name);
        }

        return due.Count;
    }

    private async Task WaitAsync(Task ticket, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await ticket.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Time to look again.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(LogLevel.Error, "The schedule relay failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Scheduled message {ScheduleId} to {Destination} was refused (no queue receives it yet); it is tried again when its claim runs out.")]
    private static partial void LogUnroutable(ILogger logger, Exception ex, Guid scheduleId, string destination);
}

/// <summary>Stands in for a background service that has nothing to do in this set-up (no scheduled messages, no dead letters to move).</summary>
internal sealed class IdleService : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
