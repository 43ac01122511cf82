namespace Tidings.Stores;

/// <summary>
/// The saga instances of one optimistic batch: read together before its handlers run (one round trip, locks taken in one
/// order) and written together just before it commits. A later message of the batch sees what an earlier one did to an
/// instance. A conflict found at the commit starts the batch over, message by message, without a session.
/// </summary>
internal sealed class SagaSession(ISagaStore store)
{
    private readonly Dictionary<(string Saga, string CorrelationId), SagaState?> _known = [];
    private readonly List<SagaWrite> _writes = [];

    /// <summary>Reads the instances of <paramref name="sagaName"/> for <paramref name="correlationIds"/> not read yet.</summary>
    public async Task ReadAsync(StoreTransaction transaction, string sagaName, IEnumerable<string> correlationIds, CancellationToken cancellationToken)
    {
        var unread = correlationIds.Where(id => !_known.ContainsKey((sagaName, id))).Distinct(StringComparer.Ordinal).ToList();
        if (unread.Count == 0)
        {
            return;
        }

        var found = await store.FindManyAsync(transaction, sagaName, unread, cancellationToken).ConfigureAwait(false);
        foreach (var id in unread)
        {
            _known[(sagaName, id)] = null;
        }

        foreach (var state in found)
        {
            _known[(sagaName, state.CorrelationId)] = state;
        }
    }

    /// <summary>The instance as this batch last left it, from the store if the batch has not read it.</summary>
    public async Task<SagaState?> FindAsync(StoreTransaction transaction, string sagaName, string correlationId, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue((sagaName, correlationId), out var known))
        {
            return known;
        }

        var state = await store.FindAsync(transaction, sagaName, correlationId, cancellationToken).ConfigureAwait(false);
        _known[(sagaName, correlationId)] = state;
        return state;
    }

    public void Insert(string sagaName, string correlationId, string data)
    {
        _writes.Add(new SagaWrite(SagaWriteKind.Insert, sagaName, correlationId, data, 0));
        _known[(sagaName, correlationId)] = new SagaState(sagaName, correlationId, data, 1);
    }

    public void Update(SagaState current, string data)
    {
        _writes.Add(new SagaWrite(SagaWriteKind.Update, current.SagaName, current.CorrelationId, data, current.Version));
        _known[(current.SagaName, current.CorrelationId)] = current with { Data = data, Version = current.Version + 1 };
    }

    public void Delete(SagaState current)
    {
        _writes.Add(new SagaWrite(SagaWriteKind.Delete, current.SagaName, current.CorrelationId, null, current.Version));
        _known[(current.SagaName, current.CorrelationId)] = null;
    }

    /// <summary>Makes the batch's writes, in order; a conflict throws <see cref="SagaConcurrencyException"/>.</summary>
    public Task WriteAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
        _writes.Count == 0 ? Task.CompletedTask : store.WriteAsync(transaction, _writes, cancellationToken);
}
