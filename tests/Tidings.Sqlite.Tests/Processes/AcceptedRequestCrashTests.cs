using Microsoft.Data.Sqlite;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>An accepted request's service process on SQLite, killed with SIGKILL before and after its commit.</summary>
public sealed class AcceptedRequestCrashTests : AcceptedRequestCrashContract, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override string[] WorkerArguments => ["--bus", _directory.File("bus.db"), "--db", _directory.File("counter.db")];

    public void Dispose() => _directory.Dispose();

    protected override long CountEffects(int seq)
    {
        using var connection = new SqliteConnection($"Data Source={_directory.File("counter.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM effects WHERE seq = {seq}";
        return (long)command.ExecuteScalar()!;
    }
}
