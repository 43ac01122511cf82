using Tidings.Transport;

namespace Tidings.Simulation;

/// <summary>
/// One service's view of the broker, with the seed's faults: a send may be delivered twice, delayed (so reordered),
/// stored but reported as failed (a lost confirm), or crash the service; an acknowledgement may be lost (the message
/// comes back when its lease runs out) or crash the service before it reaches the broker.
/// </summary>
internal sealed class FaultyTransport(ITransport inner, SimulatedService service, Faults faults, Trace trace, TimeProvider time) : ITransport
{
    public string Name => inner.Name;

    public Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default) => inner.DeclareAsync(queue, cancellationToken);

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        faults.MaybeCrash(service, "before a send");
        var now = time.GetUtcNow();
        var sent = new List<OutgoingMessage>(messages.Count);
        foreach (var message in messages)
        {
            if (faults.Strike(0.05))
            {
                var delay = TimeSpan.FromSeconds(1 + faults.Next(20));
                trace.Add($"delay {Trace.Label(message.Envelope)} by {delay.TotalSeconds:F0}s");
                sent.Add(message with { DeliverAt = (message.DeliverAt ?? now) + delay });
                continue;
            }

            sent.Add(message);
            if (faults.Strike(0.03))
            {
                trace.Add($"duplicate {Trace.Label(message.Envelope)}");
                sent.Add(message);
            }
        }

        await inner.SendAsync(sent, cancellationToken).ConfigureAwait(false);
        if (faults.Strike(0.03))
        {
            trace.Add($"lost confirm for {string.Join(", ", messages.Select(m => Trace.Label(m.Envelope)))}");
            throw new SimulatedFaultException("The broker's confirm was lost.");
        }

        faults.MaybeCrash(service, "after a send, before its confirm was seen");
    }

    public IMessageReceiver CreateReceiver(string queue, ReceiverSettings settings) => new FaultyReceiver(inner.CreateReceiver(queue, settings), service, faults, trace);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class FaultyReceiver(IMessageReceiver inner, SimulatedService service, Faults faults, Trace trace) : IMessageReceiver
    {
        public ValueTask<IReadOnlyList<ReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(maxMessages, cancellationToken);

        public async ValueTask SettleAsync(IReadOnlyList<Settlement> settlements, CancellationToken cancellationToken = default)
        {
            faults.MaybeCrash(service, "before the acknowledgement");
            if (faults.Strike(0.03))
            {
                trace.Add($"lost acknowledgement for {string.Join(", ", settlements.Select(s => Trace.Label(s.Message.Envelope)))}");
                return;
            }

            await inner.SettleAsync(settlements, cancellationToken).ConfigureAwait(false);
            faults.MaybeCrash(service, "right after the acknowledgement");
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
