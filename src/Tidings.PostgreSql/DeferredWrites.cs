using Npgsql;
using Tidings.Stores;

namespace Tidings.PostgreSql;

/// <summary>
/// Statements a store defers to its transaction's commit, so that they ride in the outbox's round trip there (an
/// accepted request's idempotency record: one round trip fewer per request). If the outbox writes nothing, they are
/// made on their own just before the commit. A statement that must change a row and changes none fails the commit.
/// </summary>
internal sealed class DeferredWrites
{
    private static readonly object Key = new();
    private readonly List<(NpgsqlBatchCommand Command, Func<Exception> Unchanged)> _writes = [];

    /// <summary>Defers <paramref name="command"/> to <paramref name="transaction"/>'s commit; <paramref name="unchanged"/> is thrown if it changes no row.</summary>
    public static void Add(StoreTransaction transaction, NpgsqlBatchCommand command, Func<Exception> unchanged) =>
        transaction.GetOrAdd(Key, t =>
        {
            var deferred = new DeferredWrites();
            t.OnCommitting(cancellationToken => FlushAsync(t, cancellationToken));
            return deferred;
        })._writes.Add((command, unchanged));

    /// <summary>Moves the deferred statements into <paramref name="batch"/>; check them with <see cref="Check"/> once it ran.</summary>
    public static IReadOnlyList<(NpgsqlBatchCommand Command, Func<Exception> Unchanged)> MoveInto(StoreTransaction transaction, NpgsqlBatch batch)
    {
        // Only Add makes one, and with it the flush at the commit: nothing here can create a list that nobody flushes.
        if (transaction.Find<DeferredWrites>(Key) is not { _writes.Count: > 0 } deferred)
        {
            return [];
        }

        var taken = deferred._writes.ToList();
        deferred._writes.Clear();
        foreach (var (command, _) in taken)
        {
            batch.BatchCommands.Add(command);
        }

        return taken;
    }

    public static void Check(IReadOnlyList<(NpgsqlBatchCommand Command, Func<Exception> Unchanged)> taken)
    {
        foreach (var (command, unchanged) in taken)
        {
            if (command.RecordsAffected == 0)
            {
                throw unchanged();
            }
        }
    }

    private static async Task FlushAsync(StoreTransaction transaction, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch((NpgsqlConnection)transaction.Connection, (NpgsqlTransaction)transaction.Transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        var taken = MoveInto(transaction, batch);
        if (taken.Count == 0)
        {
            return;
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        Check(taken);
    }
}
