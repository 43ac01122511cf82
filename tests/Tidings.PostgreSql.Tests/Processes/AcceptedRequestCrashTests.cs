using Npgsql;
using Tidings.PostgreSql.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Processes;

/// <summary>An accepted request's service process on RabbitMQ and PostgreSQL, killed with SIGKILL before and after its commit.</summary>
public sealed class AcceptedRequestCrashTests : AcceptedRequestCrashContract
{
    private readonly string _schema = Database.NewSchema();

    private string ConnectionString => new NpgsqlConnectionStringBuilder(Database.ConnectionString) { SearchPath = _schema }.ConnectionString;

    protected override string[] WorkerArguments => ["--rabbitmq", Broker.Uri.ToString(), "--postgres", ConnectionString, "--schema", _schema];

    protected override long CountEffects(int seq)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"SELECT count(*) FROM effects WHERE seq = {seq}", connection);
        return (long)command.ExecuteScalar()!;
    }
}
