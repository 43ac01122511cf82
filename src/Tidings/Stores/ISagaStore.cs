namespace Tidings.Stores;

/// <summary>
/// Where long-running processes (sagas) keep their state, in the service's own database, inside the unit of work of the
/// message that changes it: a saga's state, the inbox entry and the messages it sends commit together.
/// </summary>
public interface ISagaStore
{
    /// <summary>
    /// The instance of <paramref name="sagaName"/> for <paramref name="correlationId"/>, or null. Where the database can,
    /// the row stays locked until <paramref name="transaction"/> ends, so that two messages for one instance take turns.
    /// </summary>
    Task<SagaState?> FindAsync(StoreTransaction transaction, string sagaName, string correlationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a new instance at version 1. Throws <see cref="SagaConcurrencyException"/> if one exists already (another
    /// message started it meanwhile): the unit of work then runs again and finds it.
    /// </summary>
    Task<SagaState> InsertAsync(StoreTransaction transaction, string sagaName, string correlationId, string data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the state of <paramref name="current"/> with <paramref name="data"/> if nobody changed it since it was
    /// read; returns it at the next version. Throws <see cref="SagaConcurrencyException"/> otherwise.
    /// </summary>
    Task<SagaState> UpdateAsync(StoreTransaction transaction, SagaState current, string data, CancellationToken cancellationToken = default);

    /// <summary>Removes a finished instance, with the same check as <see cref="UpdateAsync"/>.</summary>
    Task DeleteAsync(StoreTransaction transaction, SagaState current, CancellationToken cancellationToken = default);

    /// <summary>
    /// The instances of <paramref name="sagaName"/> for <paramref name="correlationIds"/> that exist, locked as
    /// <see cref="FindAsync"/> locks one: a batch reads all its instances at once. A store that can should take the
    /// locks in one order (of the correlation ids), so that two batches never wait for each other's rows. By default,
    /// one <see cref="FindAsync"/> after another, in the order of the correlation ids.
    /// </summary>
    async Task<IReadOnlyList<SagaState>> FindManyAsync(
        StoreTransaction transaction, string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(correlationIds);
        var found = new List<SagaState>(correlationIds.Count);
        foreach (var correlationId in correlationIds.Order(StringComparer.Ordinal))
        {
            if (await FindAsync(transaction, sagaName, correlationId, cancellationToken).ConfigureAwait(false) is { } state)
            {
                found.Add(state);
            }
        }

        return found;
    }

    /// <summary>
    /// Applies <paramref name="writes"/> in order, each with the checks of <see cref="InsertAsync"/>,
    /// <see cref="UpdateAsync"/> and <see cref="DeleteAsync"/>: a batch writes all its instances at its commit. Throws
    /// <see cref="SagaConcurrencyException"/> if any check fails (the unit of work then starts over). A store that can
    /// should send them to the database together. By default, one write after another.
    /// </summary>
    async Task WriteAsync(StoreTransaction transaction, IReadOnlyList<SagaWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        foreach (var write in writes)
        {
            var current = new SagaState(write.SagaName, write.CorrelationId, "", write.ExpectedVersion);
            switch (write.Kind)
            {
                case SagaWriteKind.Insert:
                    await InsertAsync(transaction, write.SagaName, write.CorrelationId, write.Data!, cancellationToken).ConfigureAwait(false);
                    break;
                case SagaWriteKind.Update:
                    await UpdateAsync(transaction, current, write.Data!, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await DeleteAsync(transaction, current, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>
    /// For inspection, outside any unit of work and without locks: instances of <paramref name="sagaName"/> in the order
    /// of their correlation ids, after <see cref="SagaQuery.After"/>, at most <see cref="SagaQuery.Limit"/>; with
    /// <see cref="SagaQuery.Status"/>, only those whose data's <c>status</c> property has that value.
    /// </summary>
    Task<IReadOnlyList<SagaState>> ListAsync(string sagaName, SagaQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// For watching instances, outside any unit of work and without locks: the versions of those of
    /// <paramref name="correlationIds"/> that exist (a changed version is a changed instance). A live status stream asks
    /// this of every instance it watches several times a second, so a store should answer in one cheap query. By
    /// default, one <see cref="ListAsync"/> per instance.
    /// </summary>
    async Task<IReadOnlyDictionary<string, long>> ReadVersionsAsync(string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(correlationIds);
        var versions = new Dictionary<string, long>(correlationIds.Count, StringComparer.Ordinal);
        foreach (var correlationId in correlationIds)
        {
            var found = await ListAsync(sagaName, new SagaQuery(CorrelationId: correlationId, Limit: 1), cancellationToken).ConfigureAwait(false);
            if (found.Count > 0)
            {
                versions[correlationId] = found[0].Version;
            }
        }

        return versions;
    }

    /// <summary>
    /// Removes instances of <paramref name="sagaName"/> kept as completed (their data's <c>status</c> is
    /// <c>completed</c>) whose last change is older than <paramref name="age"/> by the store's clock, in a transaction
    /// of its own; returns how many.
    /// </summary>
    Task<int> PurgeCompletedAsync(string sagaName, TimeSpan age, CancellationToken cancellationToken = default);
}

/// <summary>Which instances <see cref="ISagaStore.ListAsync"/> returns.</summary>
/// <param name="Status">Only instances whose data's <c>status</c> has this value (as Tidings writes it, e.g. <c>active</c>); null for all.</param>
/// <param name="After">Only correlation ids after this one (the last of the previous page); null from the start.</param>
/// <param name="Limit">At most this many.</param>
/// <param name="CorrelationId">Only this instance.</param>
public sealed record SagaQuery(string? Status = null, string? After = null, int Limit = 50, string? CorrelationId = null);

/// <summary>One saga instance as stored: its state (JSON) and the version that guards concurrent changes.</summary>
public sealed record SagaState(string SagaName, string CorrelationId, string Data, long Version);

/// <summary>What <see cref="ISagaStore.WriteAsync"/> does to one instance.</summary>
public enum SagaWriteKind
{
    /// <summary>Store a new instance at version 1 (refused if one exists).</summary>
    Insert,

    /// <summary>Replace the state of the instance at <see cref="SagaWrite.ExpectedVersion"/>, making it the next version.</summary>
    Update,

    /// <summary>Remove the instance at <see cref="SagaWrite.ExpectedVersion"/>.</summary>
    Delete,
}

/// <summary>One write of a saga instance, kept until its batch commits.</summary>
/// <param name="Kind">Insert, update or delete.</param>
/// <param name="SagaName">The saga.</param>
/// <param name="CorrelationId">The instance.</param>
/// <param name="Data">The new state (JSON) to insert or update; null to delete.</param>
/// <param name="ExpectedVersion">The version the instance must still have (update, delete); 0 for an insert.</param>
public sealed record SagaWrite(SagaWriteKind Kind, string SagaName, string CorrelationId, string? Data, long ExpectedVersion);

/// <summary>A saga instance was created or changed by another unit of work since this one read it.</summary>
public sealed class SagaConcurrencyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SagaConcurrencyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SagaConcurrencyException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SagaConcurrencyException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>For stores: the exception for saga <paramref name="sagaName"/> '<paramref name="correlationId"/>', which <paramref name="what"/> (e.g. "was changed or removed").</summary>
    public static SagaConcurrencyException For(string sagaName, string correlationId, string what) =>
        new($"Saga {sagaName} '{correlationId}' {what} by another unit of work; this one must start over.");
}
