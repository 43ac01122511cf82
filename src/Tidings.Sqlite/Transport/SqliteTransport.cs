using Tidings.Sqlite.Transport;
using Tidings.Transport;

namespace Tidings.Sqlite;

/// <summary>
/// The embedded durable transport: every queue of a host in one SQLite file (WAL, durable commits), shared by its
/// processes. Competing consumers take messages under leases, so a killed consumer's messages come back; delayed
/// messages wait in the same table; each queue has a dead-letter queue <c>{queue}.deadletter</c>.
/// </summary>
public sealed class SqliteTransport : ITransport
{
    private readonly ExternalChangeWatcher _watcher;

    /// <summary>Opens (creating if needed) the bus file.</summary>
    public SqliteTransport(SqliteTransportOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Time = timeProvider ?? TimeProvider.System;
        Writer = new BusWriter(options, Time, Wakeup);
        _watcher = new ExternalChangeWatcher(options.Path, Wakeup);
    }

    /// <inheritdoc />
    public string Name => "sqlite";

    internal SqliteTransportOptions Options { get; }

    internal TimeProvider Time { get; }

    internal WakeSignal Wakeup { get; } = new();

    internal BusWriter Writer { get; }

    /// <inheritdoc />
    public Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return Writer.EnqueueAsync(new DeclareOperation(queue));
    }

    /// <inheritdoc />
    public Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Count == 0 ? Task.CompletedTask : Writer.EnqueueAsync(new InsertOperation(messages));
    }

    /// <inheritdoc />
    public IMessageReceiver CreateReceiver(string queue, ReceiverSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(settings);
        return new SqliteReceiver(this, queue, settings);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _watcher.Dispose();
        Writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
