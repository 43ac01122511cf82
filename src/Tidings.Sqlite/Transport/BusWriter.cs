using Microsoft.Data.Sqlite;
using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// The one connection of this process that writes the bus file, on its own thread. Whatever operations are queued
/// when it comes round (sends, leases, acks of every endpoint) commit in one transaction: with durable commits each
/// transaction costs an fsync, so batching them is what makes the transport fast.
/// </summary>
internal sealed class BusWriter : IDisposable
{
    private readonly Queue<WriteOperation> _queue = new();
    private readonly object _lock = new();
    private readonly SqliteConnection _connection;
    private readonly BusCommands _commands;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollback;
    private readonly Thread _thread;
    private readonly SqliteTransportOptions _options;
    private readonly TimeProvider _time;
    private bool _stopping;

    public BusWriter(SqliteTransportOptions options, TimeProvider time, WakeSignal localWakeup)
    {
        _options = options;
        _time = time;
        LocalWakeup = localWakeup;
        SqliteConnections.EnsureDirectory(options.Path);
        _connection = SqliteConnections.Open(SqliteConnections.ConnectionStringFor(options.Path), options.DurableCommits, options.BusyTimeout);
        try
        {
            SqliteConnections.UseWriteAheadLog(_connection);
            CreateSchema();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        _commands = new BusCommands(_connection);
        _begin = Command("BEGIN IMMEDIATE");
        _commit = Command("COMMIT");
        _rollback = Command("ROLLBACK");
        _thread = new Thread(Run) { IsBackground = true, Name = "Tidings SQLite bus writer" };
        _thread.Start();
    }

    public WakeSignal LocalWakeup { get; }

    public Task EnqueueAsync(WriteOperation operation)
    {
        lock (_lock)
        {
            if (_stopping)
            {
                throw new ObjectDisposedException(nameof(BusWriter), "The SQLite transport has been disposed.");
            }

            _queue.Enqueue(operation);
            Monitor.Pulse(_lock);
        }

        return operation.Completion;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.Pulse(_lock);
        }

        _thread.Join();
        _commands.Dispose();
        foreach (var command in new[] { _begin, _commit, _rollback })
        {
            command.Dispose();
        }

        _connection.Dispose();
    }

    private void Run()
    {
        var batch = new List<WriteOperation>(_options.MaxOperationsPerCommit);
        while (true)
        {
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_lock);
                }


                if (_queue.Count == 0)
                {
                    return;
                }

                while (_queue.Count > 0 && batch.Count < _options.MaxOperationsPerCommit)
                {
                    batch.Add(_queue.Dequeue());
                }
            }

            CommitBatch(batch);
            batch.Clear();
        }
    }

    private void CommitBatch(List<WriteOperation> batch)
    {
        var refused = new Exception?[batch.Count];
        try
        {
            _begin.ExecuteNonQuery();
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    batch[i].Execute(_commands, nowMs);
                }
                catch (UnroutableMessageException ex)
                {
                    // Operations validate before they write, so a refused one left nothing behind: the others commit.
                    refused[i] = ex;
                }
            }

            _commit.ExecuteNonQuery();
        }
#pragma warning disable CA1031 // The transaction failed as a whole (locked past the timeout, disk full): every caller hears of it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            TryRollback();
            _commands.ForgetKnownQueues();
            foreach (var operation in batch)
            {
                operation.Fail(ex);
            }

            return;
        }

        var wake = false;
        for (var i = 0; i < batch.Count; i++)
        {
            if (refused[i] is { } error)
            {
                batch[i].Fail(error);
                continue;
            }

            wake |= batch[i].MakesMessagesVisible;
            batch[i].Succeed();
        }

        if (wake)
        {
            LocalWakeup.Set();
        }
    }

    private void TryRollback()
    {
        try
        {
            if (!_connection.AutoCommit())
            {
                _rollback.ExecuteNonQuery();
            }
        }
        catch (SqliteException)
        {
            // Nothing to roll back: BEGIN itself failed.
        }
    }

    private void CreateSchema()
    {
        using var transaction = _connection.BeginTransaction();
        SqliteConnections.Execute(_connection, BusSchema.Create, transaction);
        SqliteConnections.AddMissingColumns(_connection, transaction, BusSchema.Upgrades);
        SqliteConnections.Execute(_connection, BusSchema.DeadLetterIndexes, transaction);
        DeadLetterColumns.Backfill(_connection, transaction);

        SqliteConnections.Execute(_connection, $"PRAGMA user_version = {BusSchema.Version}", transaction);
        transaction.Commit();
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}

internal static class SqliteConnectionAutoCommit
{
    /// <summary>True when no transaction is open on the connection.</summary>
    public static bool AutoCommit(this SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0;
}
