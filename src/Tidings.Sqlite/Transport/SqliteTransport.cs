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
public sealed class SqliteTransport : ITransport
{
    private static readonly TimeSpan DropPatience = TimeSpan.FromSeconds(5);
    private readonly ExternalChangeWatcher _watcher;
    private readonly ConcurrentDictionary<string, byte> _temporary = new(StringComparer.Ordinal);
    private readonly ITimer _upkeep;

    /// <summary>Opens (creating if needed) the bus file.</summary>
    public SqliteTransport(SqliteTransportOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Time = timeProvider ?? TimeProvider.System;
        Writer = new BusWriter(options, Time, Wakeup);
        _watcher = new ExternalChangeWatcher(options.Path, Wakeup);
        var period = options.TemporaryQueueExpiry / 3;
        _upkeep = Time.CreateTimer(_ => KeepTemporaryQueues(), null, TimeSpan.Zero, period);
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
        if (!_temporary.IsEmpty)
        {
            try
            {
                await Writer.EnqueueAsync(new DropQueuesOperation(_temporary.Keys.ToList())).WaitAsync(DropPatience).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Closing regardless: the queues then expire and another process drops them.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        _watcher.Dispose();
        Writer.Dispose();
    }

    private void KeepTemporaryQueues()
    {
        try
        {
            _ = Writer.EnqueueAsync(new TemporaryQueuesOperation(_temporary.Keys.ToList(), Options.TemporaryQueueExpiry))
                .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (ObjectDisposedException)
        {
            // Closing: nothing left to keep.
        }
    }
}
