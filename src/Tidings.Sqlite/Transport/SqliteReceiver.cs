using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Takes messages from one queue of the bus file under leases, renews the leases of messages still being handled,
/// and sleeps between polls until woken (a local send, another process's commit) or the next delayed message is due.
/// </summary>
internal sealed class SqliteReceiver : IMessageReceiver
{
    private readonly SqliteTransport _transport;
    private readonly string _queue;
    private readonly ReceiverSettings _settings;
    private readonly ConcurrentDictionary<long, SqliteLease> _inFlight = new();
    private readonly Timer _renewal;

    public SqliteReceiver(SqliteTransport transport, string queue, ReceiverSettings settings)
    {
        _transport = transport;
        _queue = queue;
        _settings = settings;
        var period = settings.LeaseDuration / 3;
        _renewal = new Timer(_ => RenewLeases(), null, period, period);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IReadOnlyList<ReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ticket = _transport.Wakeup.Ticket;
            var owner = Random.Shared.NextInt64(1, long.MaxValue);
            var lease = new LeaseOperation(_queue, maxMessages, owner, _settings.LeaseDuration);
            await _transport.Writer.EnqueueAsync(lease).ConfigureAwait(false);
            if (lease.Rows.Count > 0)
            {
                var received = new ReceivedMessage[lease.Rows.Count];
                for (var i = 0; i < received.Length; i++)
                {
                    var row = lease.Rows[i];
                    var token = new SqliteLease(row.Id, owner);
                    _inFlight[row.Id] = token;
                    var (envelope, readError) = row.ToEnvelopeOrQuarantine();
                    received[i] = new ReceivedMessage(envelope, row.Deliveries, token, row.Abandoned) { ReadError = readError };
                }

                return received;
            }

            await WakeSignal.WaitAsync(ticket, SleepFor(lease.NextVisibleAtMs), cancellationToken).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SettleAsync(IReadOnlyList<Settlement> settlements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settlements);
        if (settlements.Count == 0)
        {
            return;
        }

        try
        {
            await _transport.Writer.EnqueueAsync(new SettleOperation(_queue, settlements)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var settlement in settlements)
            {
                _inFlight.TryRemove(((SqliteLease)settlement.Message.TransportState!).Id, out _);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _renewal.DisposeAsync().ConfigureAwait(false);
    }

    private TimeSpan SleepFor(long? nextVisibleAtMs)
    {
        var poll = _transport.Options.PollInterval;
        if (nextVisibleAtMs is not { } next)
        {
            return poll;
        }

        var untilDue = TimeSpan.FromMilliseconds(next - _transport.Time.GetUtcNow().ToUnixTimeMilliseconds());
        return untilDue < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : untilDue < poll ? untilDue : poll;
    }

    private void RenewLeases()
    {
        if (_inFlight.IsEmpty)
        {
            return;
        }

        // A failed renewal is harmless to correctness: the lease may expire and the message be redelivered.
        try
        {
            _ = _transport.Writer.EnqueueAsync(new RenewOperation(_inFlight.Values.ToList(), _settings.LeaseDuration))
                .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (ObjectDisposedException)
        {
            // The transport is closing: nothing left to renew for.
        }
    }
}
