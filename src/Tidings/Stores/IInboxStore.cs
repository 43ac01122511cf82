namespace Tidings.Stores;

/// <summary>Remembers which messages an endpoint has handled, so a redelivered one is not handled twice.</summary>
public interface IInboxStore
{
    /// <summary>
    /// Records that <paramref name="endpoint"/> handles <paramref name="messageId"/>, inside <paramref name="transaction"/>.
    /// Returns false if it was already recorded (a duplicate: skip the handler).
    /// </summary>
    Task<bool> TryRecordAsync(StoreTransaction transaction, string endpoint, Guid messageId, CancellationToken cancellationToken = default);

    /// <summary>Forgets entries recorded before <paramref name="olderThan"/>. Returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);
}
