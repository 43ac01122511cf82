using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings;

/// <summary>Sends each message straight to the transport and waits until it is stored.</summary>
internal sealed class TransportDispatcher(ITransport transport) : IOutgoingDispatcher
{
    public ValueTask DispatchAsync(OutgoingMessage message, CancellationToken cancellationToken) =>
        new(transport.SendAsync([message], cancellationToken));
}
