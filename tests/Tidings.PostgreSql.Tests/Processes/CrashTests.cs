using Npgsql;
using RabbitMQ.Client;
using Tidings.PostgreSql.Tests.Support;
using Tidings.RabbitMQ;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Processes;

/// <summary>A service process on RabbitMQ and PostgreSQL killed with SIGKILL between its business commit and the send.</summary>
public sealed class CrashTests : IAsyncDisposable
{
    private static readonly Uri RabbitMq = Broker.Uri;
    private readonly string _schema = Database.NewSchema();
    private readonly string _downstream = "downstream-" + Guid.NewGuid().ToString("N")[..8];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await Broker.DeleteQueuesAsync(_downstream);
    }

    [Fact]
    public async Task A_message_committed_by_a_process_killed_before_sending_is_delivered_by_the_relay_after_the_restart()
    {
        var database = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { SearchPath = _schema }.ConnectionString;
        await using var transport = new RabbitMqTransport(new RabbitMqTransportOptions { ConnectionString = RabbitMq, RunDelayForwarder = false });
        await transport.DeclareAsync(new QueueDeclaration(_downstream, ["test.work-item"]), Ct);
        await using var downstream = transport.CreateReceiver(_downstream, new ReceiverSettings(TimeSpan.FromSeconds(30)));
        string[] store = ["--rabbitmq", RabbitMq.ToString(), "--postgres", database, "--schema", _schema, "--claim-ms", "1000"];

        using (var crashing = WorkerProcess.Start(["commit-and-crash", .. store, "--seq", "7"]))
        {
            var exit = await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit is 137 or -1 or 9, $"expected death by SIGKILL, got exit code {exit}: {crashing.Output}");
            Assert.Contains("committed", crashing.Output, StringComparison.Ordinal);
        }

        Assert.Equal(1L, Scalar(database, "SELECT count(*) FROM effects WHERE seq = 7"));
        Assert.Equal(1L, Scalar(database, $"SELECT count(*) FROM {_schema}.outbox"));
        Assert.Empty(await downstream.ReceiveWithin(TimeSpan.FromMilliseconds(300)));

        using var restarted = WorkerProcess.Start(["relay", .. store]);
        await restarted.WaitForReadyAsync();
        var received = Assert.Single(await downstream.ReceiveWithin(TimeSpan.FromSeconds(15)));
        Assert.Equal("test.work-item", received.Envelope.MessageName);
        Assert.Equal("{\"seq\":7}", received.BodyText());
        await Effects.WaitForAsync(() => Scalar(database, $"SELECT count(*) FROM {_schema}.outbox") == 0, TimeSpan.FromSeconds(10), () => restarted.Output);
        await restarted.StopAsync();
        Assert.Empty(await downstream.ReceiveWithin(TimeSpan.FromMilliseconds(300)));
    }

    private static long Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return (long)command.ExecuteScalar()!;
    }
}
