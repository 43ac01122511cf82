using Tidings.Transport;

namespace Tidings.Transport.Contracts;

/// <summary>A fresh, isolated bus for one test, and a way to connect clients to it.</summary>
public interface ITransportFixture : IAsyncDisposable
{
    /// <summary>A new client of the same bus: to the transport, as good as another process.</summary>
    ITransport Connect();
}
