namespace Tidings.Stores;

/// <summary>
/// How a store's database marks a savepoint in a <see cref="StoreTransaction"/>, releases it and rolls back to it: one
/// message's work inside its batch's transaction, undone alone when its handler fails. The core writes no SQL; a store
/// gives its database's statements (<see cref="Statements"/>), or a store for a database that ADO.NET covers uses the
/// provider's own savepoints (<see cref="Provider"/>, the default).
/// </summary>
public abstract class StoreSavepoints
{
    /// <summary>The name of the one savepoint a unit of work uses.</summary>
    public const string Name = "tidings_message";

    /// <summary>The ADO.NET provider's savepoints (<see cref="System.Data.Common.DbTransaction.SaveAsync(string, CancellationToken)"/>).</summary>
    public static StoreSavepoints Provider { get; } = new ProviderSavepoints();

    /// <summary>
    /// Savepoints by the store's own statements, each prepared once per transaction and reused for every message of
    /// the batch (the provider's own prepare anew on every call).
    /// </summary>
    public static StoreSavepoints Statements(string save, string release, string rollback) => new StatementSavepoints(save, release, rollback);

    /// <summary>Marks the savepoint.</summary>
    public abstract Task SaveAsync(StoreTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Keeps the work since the savepoint and forgets the savepoint.</summary>
    public abstract Task ReleaseAsync(StoreTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Undoes the work since the savepoint (the savepoint stays, to be released).</summary>
    public abstract Task RollbackAsync(StoreTransaction transaction, CancellationToken cancellationToken);

    private sealed class ProviderSavepoints : StoreSavepoints
    {
        public override Task SaveAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
            transaction.Transaction.SaveAsync(Name, cancellationToken);

        public override Task ReleaseAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
            transaction.Transaction.ReleaseAsync(Name, cancellationToken);

        public override Task RollbackAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
            transaction.Transaction.RollbackAsync(Name, cancellationToken);
    }

    private sealed class StatementSavepoints(string save, string release, string rollback) : StoreSavepoints
    {
        // Keys of the prepared commands in the transaction's items: this instance's own, so two stores never share one.
        private readonly object _saveKey = new();
        private readonly object _releaseKey = new();
        private readonly object _rollbackKey = new();

        public override Task SaveAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
            ExecuteAsync(transaction, _saveKey, save, cancellationToken);

        public override Task ReleaseAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
            ExecuteAsync(transaction, _releaseKey, release, cancellationToken);

        public override Task RollbackAsync(StoreTransaction transaction, CancellationToken cancellationToken) =>
            ExecuteAsync(transaction, _rollbackKey, rollback, cancellationToken);

        private static Task<int> ExecuteAsync(StoreTransaction transaction, object key, string sql, CancellationToken cancellationToken) =>
            transaction.GetOrAdd(key, tx => tx.CreateCommand(sql)).ExecuteNonQueryAsync(cancellationToken);
    }
}
