using Tidings.Transport;

namespace Tidings.Transport.Contracts;

/// <summary>A fresh, isolated bus for one test, and a way to connect clients to it.</summary>
public interface ITransportFixture : IAsyncDisposable
{
    /// <summary>A new client of the same bus: to the transport, as good as another process.</summary>
    ITransport Connect();

    /// <summary>
    /// When a consumer that dies gives its messages back: after its lease runs out (a database transport, which cannot
    /// tell a dead consumer from a slow one), or as soon as its connection closes (a broker).
    /// </summary>
    AbandonedMessagesReturn AbandonedMessagesReturn => AbandonedMessagesReturn.AfterLease;
}

/// <summary>When an abandoned message becomes visible again.</summary>
public enum AbandonedMessagesReturn
{
    /// <summary>When the consumer's lease runs out.</summary>
    AfterLease,

    /// <summary>As soon as the consumer's connection or channel closes.</summary>
    AtDisconnect,
}
