namespace Tidings.Stores;

/// <summary>
/// The responses of requests made with an idempotency key (an HTTP <c>Idempotency-Key</c>), in the service's own
/// database and written in the same transaction as the business data and the outbox messages: a committed request
/// always has its record, and a rolled-back one has none, so no crash leaves a key half done.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Takes the key for <paramref name="transaction"/> if no other transaction holds it; false if one does (the first
    /// request is still being handled, in this process or another). Where the database cannot tell, true: the write
    /// lock then makes the second request wait for the first, and find its record.
    /// </summary>
    Task<bool> TryClaimAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="TryClaimAsync"/>, then <see cref="FindAsync"/> if the key was claimed: a store that can does both in
    /// one round trip, the read seeing everything committed before the claim.
    /// </summary>
    async Task<IdempotencyClaim> ClaimAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default) =>
        await TryClaimAsync(transaction, scope, key, cancellationToken).ConfigureAwait(false)
            ? new IdempotencyClaim(true, await FindAsync(transaction, scope, key, cancellationToken).ConfigureAwait(false))
            : new IdempotencyClaim(false, null);

    /// <summary>The record of <paramref name="key"/> for <paramref name="scope"/>, if one committed and has not expired.</summary>
    Task<IdempotencyRecord?> FindAsync(StoreTransaction transaction, string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the response in <paramref name="transaction"/>. Throws <see cref="IdempotencyKeyTakenException"/> if the
    /// key has a record already (an expired one is replaced).
    /// </summary>
    Task RecordAsync(StoreTransaction transaction, IdempotencyRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="RecordAsync"/>, for a transaction that commits next with nothing else in between: a store may defer
    /// the write to ride along with the commit's other writes (one round trip fewer). Then a taken key throws
    /// <see cref="IdempotencyKeyTakenException"/> from the commit, which leaves the transaction open, uncommitted, and
    /// the record cannot be read back before the commit. By default, <see cref="RecordAsync"/>.
    /// </summary>
    Task RecordAtCommitAsync(StoreTransaction transaction, IdempotencyRecord record, CancellationToken cancellationToken = default) =>
        RecordAsync(transaction, record, cancellationToken);

    /// <summary>Removes expired records (by the store's clock, as <see cref="FindAsync"/> judges them), in a transaction of its own; returns how many.</summary>
    Task<int> PurgeExpiredAsync(CancellationToken cancellationToken = default);
}

/// <summary>What claiming a key found.</summary>
/// <param name="Claimed">False if another transaction holds the key (its request is still being handled).</param>
/// <param name="Record">The key's committed response, if it has one.</param>
public readonly record struct IdempotencyClaim(bool Claimed, IdempotencyRecord? Record);

/// <summary>A request's response, kept under its idempotency key to be given again to a retry.</summary>
/// <param name="Scope">Whose key it is (the caller's identity): another caller's same key is another key.</param>
/// <param name="Key">The key the client sent.</param>
/// <param name="Fingerprint">What identifies the request (a hash of method, path and body): the same key with another request is refused.</param>
/// <param name="StatusCode">The response's status code.</param>
/// <param name="Location">Its <c>Location</c> header, if any.</param>
/// <param name="ContentType">Its content type, if it has a body.</param>
/// <param name="Body">Its body.</param>
/// <param name="CreatedAt">When the request committed.</param>
/// <param name="ExpiresAt">When the key may be used again for another request.</param>
public sealed record IdempotencyRecord(
    string Scope, string Key, string Fingerprint, int StatusCode, string? Location, string? ContentType, byte[] Body, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>An idempotency key got its record from another transaction first.</summary>
public sealed class IdempotencyKeyTakenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IdempotencyKeyTakenException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public IdempotencyKeyTakenException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public IdempotencyKeyTakenException(string message, Exception inner) : base(message, inner)
    {
    }
}
