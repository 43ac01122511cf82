using Tidings.Transport.Contracts;
using Tidings.Transport.InMemory;

namespace Tidings.Tests.Transport;

public sealed class InMemoryBusFixture : IBusFixture
{
    private readonly InMemoryTransport _transport = new();

    public void UseTransport(TidingsBuilder builder) => builder.UseInMemoryTransport(_transport);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class InMemoryRequestReplyContract : RequestReplyContract<InMemoryBusFixture>;
