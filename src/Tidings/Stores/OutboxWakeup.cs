using Tidings.Transport;

namespace Tidings.Stores;

/// <summary>Set after every commit that added outbox messages in this process, so the relay sends them at once.</summary>
internal sealed class OutboxWakeup
{
    public WakeSignal Signal { get; } = new();
}
