using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Processes;

/// <summary>Two consumer processes on one queue; one is killed with SIGKILL in the middle of the stream.</summary>
public sealed class ConsumerCrashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tidings-rabbit-crash-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("effectively-once")]
    [InlineData("at-least-once")]
    public async Task A_consumer_killed_mid_stream_hands_its_unacked_messages_to_the_other(string mode)
    {
        const int count = 1500;
        var rabbitMq = (await Broker.NewVirtualHostAsync()).ToString();
        var db = Path.Combine(_directory, "consumer.db");

        // Slow handlers, so the victim holds unacked messages when it dies.
        using var victim = WorkerProcess.Start("consume", "--rabbitmq", rabbitMq, "--db", db, "--mode", mode, "--handler-delay-ms", "2");
        await victim.WaitForReadyAsync();
        using var survivor = WorkerProcess.Start("consume", "--rabbitmq", rabbitMq, "--db", db, "--mode", mode, "--handler-delay-ms", "2");
        await survivor.WaitForReadyAsync();

        using var publisher = WorkerProcess.Start("publish", "--rabbitmq", rabbitMq, "--count", count.ToString());
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(*) FROM effects") >= count / 4, TimeSpan.FromSeconds(60),
            () => publisher.Output + victim.Output);
        victim.KillHard();

        Assert.Equal(0, await publisher.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects") == count, TimeSpan.FromSeconds(60),
            () => $"{Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects")} of {count} handled. " + survivor.Output);
        await survivor.StopAsync();

        var rows = Effects.Count(db, "SELECT COUNT(*) FROM effects");
        if (mode == "effectively-once")
        {
            Assert.Equal(count, rows);
        }
        else
        {
            Assert.True(rows >= count);
        }

        // The survivor took over only what the victim held: nothing was dead-lettered on the way.
        await using var transport = new RabbitMqTransport(Broker.Options() with { ConnectionString = new Uri(rabbitMq), RunDelayForwarder = false });
        await using var deadLetters = transport.CreateReceiver(DeadLetterQueues.For("work"), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        Assert.Empty(await deadLetters.ReceiveWithin(TimeSpan.FromMilliseconds(300)));
    }
}
