using System.Collections.Concurrent;
using Tidings.Sqlite.Transport;
using Tidings.Transport;

namespace Tidings.Sqlite;

/// <summary>
/// The embedded durable transport: every queue of a host in one SQLite file (WAL, durable commits), shared by its
/// processes. Competing consumers take messages under leases, so a killed consumer's messages come back; delayed
/// messages wait in the same table; each queue has a dead-letter queue <c>{queue}.deadletter</c>. Temporary queues
/// (reply queues) go when their process stops, or <see cref="SqliteTransportOptions.TemporaryQueueExpiry"/> after it died.
/// </summary>
public sealed partial class SqliteTransport : ITransport, ITransportHealth
{
    private static readonly TimeSpan DropPatience = TimeSpan.FromSeconds(5);
    private readonly Lock _opening = new();
    private BusWriter? _writer;
    private ExternalChangeWatcher? _watcher;
    private readonly ConcurrentDictionary<string, byte> _temporary = new(StringComparer.Ordinal);
    private readonly ITimer _upkeep;

    /// <summary>
    /// The bus file at <see cref="SqliteTransportOptions.Path"/>, opened (and created if need be) on first use: when the
    /// host starts and declares its endpoints, where a failure (a full disk) is one clear error.
    /// </summary>
    public SqliteTransport(SqliteTransportOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TemporaryQueueExpiry, TimeSpan.FromMilliseconds(30), nameof(options));
        Options = options;
        Time = timeProvider ?? TimeProvider.System;
        var period = options.TemporaryQueueExpiry / 3;
        _upkeep = Time.CreateTimer(_ => KeepTemporaryQueues(), null, TimeSpan.Zero, period);
    }

    /// <inheritdoc />
    public string Name => "sqlite";

    internal SqliteTransportOptions Options { get; }

    internal TimeProvider Time { get; }

    internal WakeSignal Wakeup { get; } = new();

    /// <summary>The bus file's one writer in this process, opened on first use.</summary>
    internal BusWriter Writer => Volatile.Read(ref _writer) ?? Open();

    private BusWriter Open()
    {
        lock (_opening)
        {
            if (_writer is { } opened)
            {
                return opened;
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
            BusWriter writer;
            try
            {
                writer = new BusWriter(Options, Time, Wakeup);
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
            {
                throw SqliteStartupError.For("the bus file", Options.Path, ex);
            }

            _watcher = new ExternalChangeWatcher(Options.Path, Wakeup);
            Volatile.Write(ref _writer, writer);
            return writer;
        }
    }

    private bool _disposed;

    /// <inheritdoc />
    /// <remarks>Reads the bus file (on a connection of its own), which fails if it is gone, unreadable or not a bus file.</remarks>
    public Task CheckConnectionAsync(CancellationToken cancellationToken = default)
    {
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM queues";
        command.ExecuteScalar();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<long> CountDeadLettersAsync(IReadOnlyCollection<string> queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM messages WHERE queue IN (SELECT value FROM json_each($queues))";
        command.Parameters.AddWithValue("$queues", System.Text.Json.JsonSerializer.Serialize(queues.Select(DeadLetterQueues.For)));
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    /// <inheritdoc />
    /// <remarks>Counts every row of the queue: waiting, delayed, and leased by a consumer that has not settled it.</remarks>
    public Task<long?> CountMessagesAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        using var connection = OpenExisting();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM messages WHERE queue = $queue), EXISTS (SELECT 1 FROM queues WHERE name = $queue)";
        command.Parameters.AddWithValue("$queue", queue);
        using var reader = command.ExecuteReader();
        reader.Read();
        return Task.FromResult(reader.GetBoolean(1) ? (long?)reader.GetInt64(0) : null);
    }

    /// <summary>A connection to the bus file as it is: a check must not create the file it checks.</summary>
    private Microsoft.Data.Sqlite.SqliteConnection OpenExisting() => SqliteConnections.Open(ExistingConnectionString, durable: false, TimeSpan.FromSeconds(5));

    private string ExistingConnectionString =>
        new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(SqliteConnections.ConnectionStringFor(Options.Path)) { Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite }.ToString();

    /// <inheritdoc />
    public Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (queue.Temporary)
        {
            _temporary[queue.Queue] = 0;
            _temporary[DeadLetterQueues.For(queue.Queue)] = 0;
        }

        return Writer.EnqueueAsync(new DeclareOperation(queue, Options.TemporaryQueueExpiry));
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

    /// <summary>Drops this process's temporary queues with their messages, then closes the bus file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _upkeep.DisposeAsync().ConfigureAwait(false);
        BusWriter? writer;
        lock (_opening)
        {
            _disposed = true;
            writer = _writer;
        }

        if (writer is null)
        {
            ClearPools();
            return;
        }

        if (!_temporary.IsEmpty)
        {
            try
            {
                await writer.EnqueueAsync(new DropQueuesOperation(_temporary.Keys.ToList())).WaitAsync(DropPatience).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Closing regardless: the queues then expire and another process drops them.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        _watcher?.Dispose();
        writer.Dispose();
        ClearPools();
    }

    /// <summary>Closes the pooled connections of the readers (lists, counts, statistics): a disposed transport holds no file open.</summary>
    private void ClearPools()
    {
        foreach (var connectionString in new[] { SqliteConnections.ConnectionStringFor(Options.Path), ExistingConnectionString })
        {
            using var pooled = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(pooled);
        }
    }

    private void KeepTemporaryQueues()
    {
        // Nothing of this process's to renew before the bus file is open; other processes sweep meanwhile.
        if (Volatile.Read(ref _writer) is not { } writer)
        {
            return;
        }

        try
        {
            _ = writer.EnqueueAsync(new TemporaryQueuesOperation(_temporary.Keys.ToList(), Options.TemporaryQueueExpiry))
                .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (ObjectDisposedException)
        {
            // Closing: nothing left to keep.
        }
    }
}
