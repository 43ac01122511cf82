using Tidings.Sqlite.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Transport;

/// <summary>Every host gets its own transport on one bus file, as separate processes would.</summary>
public sealed class SqliteBusFixture : IBusFixture
{
    private readonly TempDirectory _directory = new();

    public void UseTransport(TidingsBuilder builder) =>
        builder.UseSqlite(new SqliteTransportOptions { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) });

    public ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteRequestReplyContract : RequestReplyContract<SqliteBusFixture>;
