using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport.Contracts;
using Tidings.Sqlite;

namespace Tidings.RabbitMQ.Tests.Faults;

[MessageName("rabbitmq-test.held")]
public sealed record Held(int Seq);

/// <summary>Holds the first message it gets until the test lets go; writes one row per handled message in its transaction.</summary>
public sealed class HoldingHandler(HoldingHandler.Gate gate) : IHandleMessages<Held>
{
    public sealed class Gate
    {
        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public int Call() => Interlocked.Increment(ref _calls);
    }

    public async Task HandleAsync(Held message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (gate.Call() == 1)
        {
            gate.Holding.TrySetResult();
            await gate.Release.Task;
        }

        var transaction = (SqliteTransaction)context.Transaction!;
        using var insert = transaction.Connection!.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO effects (seq) VALUES ($seq)";
        insert.Parameters.AddWithValue("$seq", message.Seq);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}

public sealed class ConnectionCutTests : IAsyncDisposable
{
    private readonly TestHosts _hosts = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("tidings-cut-").FullName;

    public async ValueTask DisposeAsync()
    {
        await _hosts.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_connection_cut_while_a_handler_holds_a_message_redelivers_it_and_effectively_once_handles_it_once()
    {
        var queue = "cut-" + Guid.NewGuid().ToString("N")[..8];
        var db = Path.Combine(_directory, "service.db");
        await using var proxy = new TcpProxy(new IPEndPoint(IPAddress.Loopback, 5672));
        var throughProxy = new UriBuilder(Broker.Uri) { Port = proxy.Port }.Uri;
        var gate = new HoldingHandler.Gate();

        await _hosts.StartAsync(
            t => t.UseRabbitMq(Broker.Options() with { ConnectionString = throughProxy })
                .UseSqliteStore(db)
                .AddEndpoint(queue, e =>
                {
                    e.Handle<Held, HoldingHandler>();
                    e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                }),
            s => s.AddSingleton(gate));
        using (var connection = new SqliteConnection($"Data Source={db}"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE IF NOT EXISTS effects (seq INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }

        var bus = (await _hosts.StartAsync(t => t.UseRabbitMq(Broker.Options()))).Services.GetRequiredService<IBus>();
        await bus.SendAsync(queue, new Held(1), cancellationToken: TestContext.Current.CancellationToken);
        await gate.Holding.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        proxy.CutAll();
        gate.Release.SetResult();

        // The consumer comes back by itself and takes new work...
        await bus.SendAsync(queue, new Held(2), cancellationToken: TestContext.Current.CancellationToken);
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(*) FROM effects WHERE seq = 2") == 1, TimeSpan.FromSeconds(30),
            () => "the consumer did not re-attach after the cut");

        // ...and the held message, redelivered, is settled without a second side effect.
        await Effects.WaitForAsync(() => MessagesIn(queue) == 0, TimeSpan.FromSeconds(30), () => $"{MessagesIn(queue)} message(s) still on {queue}");
        Assert.Equal(1, Effects.Count(db, "SELECT COUNT(*) FROM effects WHERE seq = 1"));
        Assert.Equal(2, gate.Calls);
    }

    /// <summary>Ready plus unacknowledged messages of <paramref name="queue"/>, as the broker counts them.</summary>
    private static long MessagesIn(string queue)
    {
        var vhost = Broker.Uri.AbsolutePath.TrimStart('/');
        var output = Broker.Query("list_queues", "-p", vhost, "--no-table-headers", "--quiet", "name", "messages");
        var line = output.Split('\n').Select(l => l.Split('\t')).FirstOrDefault(f => f.Length == 2 && f[0] == queue);
        return line is null ? -1 : long.Parse(line[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
