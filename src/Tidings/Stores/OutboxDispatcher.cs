using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tidings.Diagnostics;
using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>
/// Sends a transaction's outbox messages as soon as it commits, so they need not wait for the relay to read them back.
/// Their rows are claimed before the commit, which keeps the relay off them; once sent they are removed in batches.
/// If the send fails, the claim is dropped and the relay sends them: whatever committed is still sent.
/// </summary>
internal sealed partial class OutboxDispatcher(IOutboxStore outbox, ITransport transport, ILogger<OutboxDispatcher> logger, WorkTracker? tracker = null)
{
    private static readonly KeyValuePair<string, object?> DirectPath = new("tidings.outbox.path", "direct");
    private readonly ConcurrentDictionary<long, byte> _claimed = new();
    private readonly ConcurrentQueue<OutboxEntry> _sent = new();
    private readonly ConcurrentDictionary<Task, byte> _sending = new();

    // A relay's read of the outbox can return a row that a commit removes, and unclaims, before the relay looks at the
    // claims: without this record of removals made while it reads, the relay would send that message a second time.
    private readonly ConcurrentDictionary<long, byte> _removedWhileFetching = new();
    private int _fetching;

    /// <summary>Set when the relay has work: another commit it must read back, or a send that failed.</summary>
    public WakeSignal RelayWakeup { get; } = new();

    /// <summary>Set when sent messages wait to be removed from the outbox.</summary>
    public WakeSignal CleanupWakeup { get; } = new();

    public int SentWaitingForRemoval => _sent.Count;

    /// <summary>
    /// Writes the messages <paramref name="transaction"/> staged to the outbox, removes messages sent earlier (both in one
    /// round trip where the store can), commits, and sends the new messages right away.
    /// </summary>
    public async Task CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken)
    {
        var sent = TakeSent();
        IReadOnlyList<OutboxEntry> entries = [];
        try
        {
            if (transaction.Outgoing.Count > 0 || sent.Count > 0)
            {
                entries = await outbox.AddAndRemoveAsync(transaction, transaction.Outgoing, sent, cancellationToken).ConfigureAwait(false);
            }

            Claim(entries);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Unclaim(entries);
            ReturnSent(sent);
            throw;
        }

        Forget(sent);
        DispatchCommitted(entries);
    }

    /// <summary>Claims entries before their transaction commits.</summary>
    public void Claim(IReadOnlyList<OutboxEntry> entries)
    {
        foreach (var entry in entries)
        {
            _claimed[entry.Sequence] = 0;
        }
    }

    /// <summary>Gives entries back to the relay (their transaction did not commit, or their send failed).</summary>
    public void Unclaim(IEnumerable<OutboxEntry> entries)
    {
        foreach (var entry in entries)
        {
            _claimed.TryRemove(entry.Sequence, out _);
        }
    }

    /// <summary>
    /// The oldest committed messages that no one in this process is sending: not claimed by a commit, and not removed
    /// while they were being read.
    /// </summary>
    public async Task<IReadOnlyList<OutboxEntry>> FetchUnclaimedAsync(int maxMessages, CancellationToken cancellationToken)
    {
        // Set before the read starts: a removal that commits after this point is recorded; one that committed before it
        // is not visible to the read.
        var alreadyFetching = Interlocked.Exchange(ref _fetching, 1);
        Debug.Assert(alreadyFetching == 0, "One relay per process reads the outbox, one read at a time.");
        try
        {
            var entries = await outbox.FetchAsync(maxMessages, cancellationToken).ConfigureAwait(false);
            return entries.Any(IsTaken) ? entries.Where(e => !IsTaken(e)).ToList() : entries;
        }
        finally
        {
            Interlocked.Exchange(ref _fetching, 0);
            _removedWhileFetching.Clear();
        }
    }

    private bool IsTaken(OutboxEntry entry) => _claimed.ContainsKey(entry.Sequence) || _removedWhileFetching.ContainsKey(entry.Sequence);

    /// <summary>Drops the claims of sent entries whose removal has committed.</summary>
    private void Forget(List<OutboxEntry> removed)
    {
        // Recorded before the claim goes, so that a concurrent read never finds the entry neither claimed nor removed.
        if (Volatile.Read(ref _fetching) == 1)
        {
            foreach (var entry in removed)
            {
                _removedWhileFetching[entry.Sequence] = 0;
            }
        }

        Unclaim(removed);
    }

    /// <summary>Sends the entries of a transaction that just committed, in the background.</summary>
    public void DispatchCommitted(IReadOnlyList<OutboxEntry> entries)
    {
        if (entries.Count > 0)
        {
            tracker?.Enter();
            var sending = SendAsync(entries.ToArray(), Stopwatch.GetTimestamp());
            _sending[sending] = 0;
            _ = sending.ContinueWith(t => _sending.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for the sends under way, so that what they sent can be removed.</summary>
    public async Task WhenSendsCompleteAsync(TimeSpan timeout)
    {
        try
        {
            await Task.WhenAll(_sending.Keys).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // What is still being sent stays claimed; the next start sends it again, with the same ids.
        }
    }

    /// <summary>
    /// Takes the sent entries for removal. The taker removes them and then drops their claims, or, if its
    /// transaction did not commit, gives them back with <see cref="ReturnSent"/>.
    /// </summary>
    public List<OutboxEntry> TakeSent()
    {
        var sent = new List<OutboxEntry>(_sent.Count);
        while (_sent.TryDequeue(out var entry))
        {
            sent.Add(entry);
        }

        return sent;
    }

    /// <summary>Puts back sent entries whose removal did not commit: still sent, still claimed.</summary>
    public void ReturnSent(IEnumerable<OutboxEntry> entries)
    {
        foreach (var entry in entries)
        {
            _sent.Enqueue(entry);
        }
    }

    /// <summary>Removes the sent entries from the outbox in a transaction of their own (when no batch took them along).</summary>
    public async Task RemoveSentAsync(CancellationToken cancellationToken)
    {
        tracker?.Enter();
        var sent = TakeSent();
        try
        {
            if (sent.Count > 0)
            {
                await outbox.RemoveAsync(sent, cancellationToken).ConfigureAwait(false);
                Forget(sent);
            }
        }
        catch
        {
            ReturnSent(sent);
            throw;
        }
        finally
        {
            tracker?.Exit();
        }
    }

    private async Task SendAsync(OutboxEntry[] entries, long committedAt)
    {
        try
        {
            await transport.SendAsync(entries.Select(e => e.Message).ToArray(), CancellationToken.None).ConfigureAwait(false);
            var lag = Stopwatch.GetElapsedTime(committedAt).TotalSeconds;
            foreach (var _ in entries)
            {
                TidingsDiagnostics.OutboxLag.Record(lag, DirectPath);
            }

            foreach (var entry in entries)
            {
                _sent.Enqueue(entry);
            }

            CleanupWakeup.Set();
        }
#pragma warning disable CA1031 // The relay takes over: the messages are safe in the outbox.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandedToRelay(logger, ex, entries.Length);
            await ReleaseQuietlyAsync(entries).ConfigureAwait(false);
            Unclaim(entries);
            RelayWakeup.Set();
        }
        finally
        {
            tracker?.Exit();
        }
    }

    /// <summary>Without this, a store's reservation would keep every relay off the messages until it ran out.</summary>
    private async Task ReleaseQuietlyAsync(OutboxEntry[] entries)
    {
        try
        {
            await outbox.ReleaseAsync(entries, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The reservation then runs out by itself; the relay sends the messages a little later.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogReleaseFailed(logger, ex, entries.Length);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not hand {Count} outbox messages to the relays at once; they go when their reservation runs out.")]
    private static partial void LogReleaseFailed(ILogger logger, Exception ex, int count);

    [LoggerMessage(LogLevel.Warning, "Sending {Count} outbox messages right after their commit failed; the relay will send them.")]
    private static partial void LogHandedToRelay(ILogger logger, Exception ex, int count);
}
