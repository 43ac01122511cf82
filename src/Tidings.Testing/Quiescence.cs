using System.Globalization;
using Tidings.Transport.InMemory;

namespace Tidings.Testing;

/// <summary>
/// Finds when the system under test has nothing left to do: no message queued or being handled in a queue someone
/// receives from, no batch, outbox send or relay round under way, nothing unsent in an outbox, nothing due in a schedule.
/// Found by tracking: every change signals, and the state is measured again after each; a measure counts only if no
/// change happened while it was taken. No timer decides it.
/// </summary>
internal sealed class Quiescence(InMemoryTransport transport, IReadOnlyList<HarnessService> services, HarnessLog log, HarnessOptions options)
{
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.QuiescenceTimeout);
        while (true)
        {
            // Tickets before the measure, so that a change made while measuring wakes the wait.
            var tickets = services.Select(s => s.Tracker.Changes.Ticket).Append(transport.Changes.Ticket).ToArray();
            var before = Version();
            var busy = await MeasureAsync(cancellationToken).ConfigureAwait(false);
            if (busy is null)
            {
                if (Version() == before)
                {
                    return;
                }

                continue;
            }

            if (log.Settled > options.MessageBudget)
            {
                throw new InvalidOperationException(
                    $"The system under test handled more than {options.MessageBudget} messages in one call and is still busy ({busy}): " +
                    "a message loop? Raise HarnessOptions.MessageBudget if the test means it.");
            }

            try
            {
                await Task.WhenAny(tickets).WaitAsync(limit.Token).ConfigureAwait(false);

                // Something changed: the time limit counts from here (it is for a system where nothing moves).
                limit.CancelAfter(options.QuiescenceTimeout);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"The system under test did not become quiescent within {options.QuiescenceTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s " +
                    $"of real time: {busy}, and nothing changed. A handler waiting on something outside the system (a real timer, a " +
                    "network call) keeps it busy; time in the system moves only with harness.AdvanceAsync.");
            }
        }
    }

    /// <summary>What keeps the system busy, or null if nothing does.</summary>
    public async Task<string?> MeasureAsync(CancellationToken cancellationToken)
    {
        foreach (var service in services)
        {
            if (service.Tracker.Active is var active and > 0)
            {
                return $"{active} batch(es), outbox send(s) or relay round(s) under way in {service.Name}";
            }
        }

        var (busy, busiest, _) = transport.MeasureWork();
        if (busy > 0)
        {
            return $"{busy} message(s) waiting or being handled (most in '{busiest}')";
        }

        foreach (var service in services)
        {
            // A send after a commit is counted by the tracker, from its start to its end.
            if (service.Dispatcher is { } dispatcher && service.Outbox is { } outbox)
            {
                var backlog = await outbox.MeasureBacklogAsync(cancellationToken).ConfigureAwait(false);
                var parked = await outbox.CountParkedAsync(cancellationToken).ConfigureAwait(false);
                var unsent = backlog.Count - parked.Count - dispatcher.SentWaitingForRemoval;
                if (unsent > 0)
                {
                    return $"{unsent} message(s) in the outbox of {service.Name}";
                }
            }

            if (service.Schedules is { } schedules && await schedules.NextDueInAsync(cancellationToken).ConfigureAwait(false) is { } next && next <= TimeSpan.Zero)
            {
                return $"scheduled messages due in {service.Name}";
            }
        }

        return null;
    }

    /// <summary>When the next thing waiting on the clock comes due: a delayed or redelivered message, or a scheduled one.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (_, _, next) = transport.MeasureWork();
        foreach (var service in services)
        {
            if (service.Schedules is { } schedules && await schedules.NextDueInAsync(cancellationToken).ConfigureAwait(false) is { } due)
            {
                var at = now + due;
                next = next is null || at < next ? at : next;
            }
        }

        return next;
    }

    private long Version() => services.Sum(s => s.Tracker.Version) + transport.Version;
}
