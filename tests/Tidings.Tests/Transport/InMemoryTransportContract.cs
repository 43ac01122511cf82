using Tidings.Transport;
using Tidings.Transport.Contracts;
using Tidings.Transport.InMemory;

namespace Tidings.Tests.Transport;

public sealed class InMemoryTransportFixture : ITransportFixture
{
    private readonly InMemoryTransport _transport = new();

    public ITransport Connect() => _transport;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class InMemoryTransportContract : TransportContract<InMemoryTransportFixture>;
