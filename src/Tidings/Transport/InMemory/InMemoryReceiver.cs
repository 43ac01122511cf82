using System.Collections.Concurrent;

namespace Tidings.Transport.InMemory;

internal sealed class InMemoryReceiver : IMessageReceiver
{
    private readonly InMemoryTransport _transport;
    private readonly InMemoryQueue _queue;
    private readonly InMemoryQueue _deadLetters;
    private readonly ReceiverSettings _settings;
    private readonly ConcurrentDictionary<InMemoryQueue.Entry, object> _inFlight = new();
    private readonly Timer _renewal;
    private int _disposed;

    public InMemoryReceiver(InMemoryTransport transport, InMemoryQueue queue, InMemoryQueue deadLetters, ReceiverSettings settings)
    {
        _transport = transport;
        _queue = queue;
        _deadLetters = deadLetters;
        _settings = settings;
        queue.Attach();

        // Like the durable transports: leases of messages still being handled are renewed, so a slow handler keeps its message.
        var period = settings.LeaseDuration / 3;
        _renewal = new Timer(_ => RenewLeases(), null, period, period);
    }

    // Each lease gets its own owner token, so a settle after the lease expired (and someone else took the message) does nothing.
    private sealed class LeaseToken;

    private static readonly TimeSpan IdleCheck = TimeSpan.FromMilliseconds(200);

    public async ValueTask<IReadOnlyList<ReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ticket = _queue.Signal.Ticket;
            var owner = new LeaseToken();
            var (leased, next) = _queue.Lease(maxMessages, owner, _settings.LeaseDuration);
            if (leased.Count > 0)
            {
                foreach (var entry in leased)
                {
                    _inFlight[entry] = owner;
                }

                return leased.Select(e => new ReceivedMessage(e.Envelope, e.Deliveries, (e, owner), e.Abandoned)).ToList();
            }

            var wait = next is { } at ? Clamp(at - _transport.Time.GetUtcNow()) : IdleCheck;
            await WakeSignal.WaitAsync(ticket, wait, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask SettleAsync(IReadOnlyList<Settlement> settlements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settlements);
        var now = _transport.Time.GetUtcNow();
        foreach (var settlement in settlements)
        {
            var (entry, owner) = ((InMemoryQueue.Entry, LeaseToken))settlement.Message.TransportState!;
            _inFlight.TryRemove(entry, out _);
            switch (settlement.Kind)
            {
                case SettlementKind.Ack:
                    _queue.Remove(entry, owner);
                    break;
                case SettlementKind.Retry:
                    _queue.Return(entry, owner, now + settlement.Delay);
                    break;
                case SettlementKind.DeadLetter:
                    if (_queue.Remove(entry, owner))
                    {
                        _deadLetters.Enqueue(entry.Envelope, now, entry.Deliveries);
                    }

                    break;
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _queue.Detach();
        }

        return _renewal.DisposeAsync();
    }

    private void RenewLeases()
    {
        var until = _transport.Time.GetUtcNow() + _settings.LeaseDuration;
        foreach (var (entry, owner) in _inFlight)
        {
            _queue.Renew(entry, owner, until);
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) =>
        wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait > IdleCheck ? IdleCheck : wait;
}
