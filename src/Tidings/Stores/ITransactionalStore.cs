namespace Tidings.Stores;

/// <summary>The service's own database, where business data, inbox and outbox commit together.</summary>
public interface ITransactionalStore
{
    /// <summary>Opens a connection and begins a transaction on it, holding whatever it needs to write without conflicts.</summary>
    ValueTask<StoreTransaction> BeginAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Begins a transaction for work that can start over (an effectively-once batch): a store whose writers exclude each
    /// other (SQLite) may defer its write lock to the first write, so that handlers run side by side until they write.
    /// A conflict this allows (another writer committed after this transaction read) surfaces as an exception from a
    /// write or the commit, and the caller starts over in a transaction from <see cref="BeginAsync"/>. The default is
    /// <see cref="BeginAsync"/>.
    /// </summary>
    ValueTask<StoreTransaction> BeginOptimisticAsync(CancellationToken cancellationToken = default) => BeginAsync(cancellationToken);
}
