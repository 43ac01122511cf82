namespace Tidings.Stores;

/// <summary>The service's own database, where business data, inbox and outbox commit together.</summary>
public interface ITransactionalStore
{
    /// <summary>Opens a connection and begins a transaction on it.</summary>
    ValueTask<StoreTransaction> BeginAsync(CancellationToken cancellationToken = default);
}
