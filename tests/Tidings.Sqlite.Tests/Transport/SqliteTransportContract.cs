using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Transport;

/// <summary>A fresh bus file per test; each connection is its own transport instance, as another process would have.</summary>
public sealed class SqliteTransportFixture : ITransportFixture
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteTransport> _connections = [];

    public ITransport Connect()
    {
        var transport = new SqliteTransport(new SqliteTransportOptions { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) });
        _connections.Add(transport);
        return transport;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _directory.Dispose();
    }
}

public sealed class SqliteTransportContract : TransportContract<SqliteTransportFixture>;
