using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.DeadLetters;

/// <summary>
/// <see cref="IDeadLetters"/> over the store's dead letters, for a transport that cannot browse its own. A replay takes
/// each batch out of the store and writes it to the outbox in one transaction, then hands it to the dispatcher, which
/// sends it with the transport's confirms and removes it from the outbox after; what a crash leaves in the outbox the
/// relay sends. So a replay stopped anywhere neither loses a message nor sends one twice by itself; the relay's own
/// at-least-once window remains (a store without reservations across processes lets another process's relay send a
/// replayed message too), and an effectively-once endpoint's inbox absorbs it.
/// </summary>
internal sealed class StoreDeadLetters(IDeadLetterStore store, ITransactionalStore database, OutboxDispatcher dispatcher) : IDeadLetters
{
    public Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default) =>
        store.ListAsync(query, limit, after, cancellationToken);

    public Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default) => store.GetAsync(id, cancellationToken);

    public Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default) => store.CountAsync(query, cancellationToken);

    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default) =>
        store.GroupsAsync(query, cancellationToken);

    public async Task<ReplayOutcome> ReplayAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        new(await MoveAsync(selection, replay: true, progress, cancellationToken).ConfigureAwait(false), 0);

    public Task<long> PurgeAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        MoveAsync(selection, replay: false, progress, cancellationToken);

    private async Task<long> MoveAsync(DeadLetterSelection selection, bool replay, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        long moved = 0, after = 0;
        var upTo = await store.LastIdAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await MoveBatchesAsync().ConfigureAwait(false);
        }
        finally
        {
            // Outside the last transaction (a store may give one writer at a time its turn, and the removal needs one), and
            // also when stopped: what was sent and confirmed leaves the outbox, or a relay would send it again.
            if (replay && moved > 0)
            {
                await ClearSentAsync().ConfigureAwait(false);
            }
        }

        return moved;

        async Task MoveBatchesAsync()
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var transaction = await database.BeginAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var taken = await store.TakeAsync(transaction, selection, after, upTo, DeadLetterBatch.Size, cancellationToken).ConfigureAwait(false);
                    if (taken.Count == 0)
                    {
                        break;
                    }

                    if (replay)
                    {
                        transaction.Outgoing.AddRange(taken.Select(t => new OutgoingMessage(Destination.Queue(t.Endpoint), DeadLetterReplay.Prepare(t.Envelope))));
                    }

                    await dispatcher.CommitAsync(transaction, cancellationToken).ConfigureAwait(false);
                    after = taken.Max(t => t.RowId);
                    moved += taken.Count;
                    progress?.Report(moved);
                }
            }
        }
    }

    /// <summary>
    /// Waits for the replay's sends and removes what they sent from the outbox, so that a replay that returned has been
    /// confirmed by the transport and needs no relay after it (a tool with no relay of its own can exit). What is not
    /// confirmed by then stays in the outbox, and the service's relay sends it.
    /// </summary>
    private async Task ClearSentAsync()
    {
        await dispatcher.WhenSendsCompleteAsync(SendsTimeout).ConfigureAwait(false);
        using var bounded = new CancellationTokenSource(SendsTimeout);
        await dispatcher.RemoveSentAsync(bounded.Token).ConfigureAwait(false);
    }

    private static readonly TimeSpan SendsTimeout = TimeSpan.FromSeconds(30);
}
