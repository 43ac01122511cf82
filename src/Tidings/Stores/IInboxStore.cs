namespace Tidings.Stores;

/// <summary>Remembers which messages an endpoint has handled, so a redelivered one is not handled twice.</summary>
public interface IInboxStore
{
    /// <summary>
    /// Records that <paramref name="endpoint"/> handles <paramref name="messageId"/>, inside <paramref name="transaction"/>.
    /// Returns false if it was already recorded (a duplicate: skip the handler).
    /// </summary>
    Task<bool> TryRecordAsync(StoreTransaction transaction, string endpoint, Guid messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Which of <paramref name="messageIds"/> <paramref name="endpoint"/> has recorded already, seen from
    /// <paramref name="transaction"/>. A batch asks once instead of once per message. The default finds none, leaving
    /// duplicates to <see cref="RecordAsync"/>; a store that can answer in one query should.
    /// </summary>
    Task<IReadOnlySet<Guid>> FindRecordedAsync(StoreTransaction transaction, string endpoint, IReadOnlyList<Guid> messageIds, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlySet<Guid>>(new HashSet<Guid>());

    /// <summary>
    /// Records several handled ids at once, inside <paramref name="transaction"/>. Returns those that were recorded
    /// already (by a concurrent transaction, say); the caller then rolls back. The default records them one by one.
    /// </summary>
    async Task<IReadOnlySet<Guid>> RecordAsync(StoreTransaction transaction, string endpoint, IReadOnlyList<Guid> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        var already = new HashSet<Guid>();
        foreach (var messageId in messageIds)
        {
            if (!await TryRecordAsync(transaction, endpoint, messageId, cancellationToken).ConfigureAwait(false))
            {
                already.Add(messageId);
            }
        }

        return already;
    }

    /// <summary>Forgets entries recorded before <paramref name="olderThan"/>. Returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);
}
