using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>Real processes on one bus file, killed with SIGKILL in the middle of their work.</summary>
public sealed class ProcessCrashTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("effectively-once")]
    [InlineData("at-least-once")]
    public async Task A_consumer_killed_mid_stream_loses_nothing_and_effectively_once_duplicates_nothing(string mode)
    {
        const int count = 1500;
        var bus = _directory.File("bus.db");
        var db = _directory.File("consumer.db");
        using var victim = WorkerProcess.Start("consume", "--bus", bus, "--db", db, "--mode", mode, "--lease-seconds", "2");
        using var survivor = WorkerProcess.Start("consume", "--bus", bus, "--db", db, "--mode", mode, "--lease-seconds", "2");
        await Task.WhenAll(victim.WaitForReadyAsync(), survivor.WaitForReadyAsync());

        using var publisher = WorkerProcess.Start("publish", "--bus", bus, "--count", count.ToString());
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(*) FROM effects") >= count / 4, TimeSpan.FromSeconds(60), () => publisher.Output + victim.Output);
        victim.KillHard();

        Assert.Equal(0, await publisher.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects") == count, TimeSpan.FromSeconds(60), () => survivor.Output);
        await survivor.StopAsync();

        var rows = Effects.Count(db, "SELECT COUNT(*) FROM effects");
        Assert.Equal(count, Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects"));
        if (mode == "effectively-once")
        {
            Assert.Equal(count, rows);
        }
        else
        {
            Assert.True(rows >= count);
        }

        await using var transport = new SqliteTransport(new SqliteTransportOptions { Path = bus });
        await using var deadLetters = transport.CreateReceiver(DeadLetterQueues.For("work"), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        Assert.Empty(await deadLetters.ReceiveWithin(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task A_process_killed_while_committing_sends_every_committed_message_after_the_restart_and_no_other()
    {
        var bus = _directory.File("bus.db");
        var db = _directory.File("counter.db");
        await using var transport = new SqliteTransport(new SqliteTransportOptions { Path = bus, PollInterval = TimeSpan.FromMilliseconds(50) });
        await transport.DeclareAsync(new QueueDeclaration("downstream", ["test.work-item"]), TestContext.Current.CancellationToken);
        await using var downstream = transport.CreateReceiver("downstream", new ReceiverSettings(TimeSpan.FromSeconds(30)));

        using (var committing = WorkerProcess.Start("commit-loop", "--bus", bus, "--db", db))
        {
            await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(*) FROM effects") >= 300, TimeSpan.FromSeconds(60), () => committing.Output);
            committing.KillHard();
            await committing.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var committed = Effects.Count(db, "SELECT COUNT(*) FROM effects");
        using var restarted = WorkerProcess.Start("relay", "--bus", bus, "--db", db);
        await restarted.WaitForReadyAsync();

        var delivered = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (delivered.Count < committed && DateTime.UtcNow < deadline)
        {
            var batch = await downstream.ReceiveWithin(TimeSpan.FromSeconds(1), 100);
            delivered.UnionWith(batch.Select(m => m.BodyText()));
            await downstream.SettleAsync(batch.Select(Settlement.Ack).ToList(), TestContext.Current.CancellationToken);
        }

        await restarted.StopAsync();
        var expected = Enumerable.Range(0, (int)committed).Select(seq => $"{{\"seq\":{seq}}}");
        Assert.Equal(expected.Order(), delivered.Order());
        Assert.Equal(0, Effects.Count(db, "SELECT COUNT(*) FROM tidings_outbox"));
    }

    [Fact]
    public async Task A_message_committed_while_the_bus_was_unreachable_is_sent_by_the_relay_after_a_crash()
    {
        var bus = _directory.File("bus.db");
        var db = _directory.File("counter.db");
        await using var transport = new SqliteTransport(new SqliteTransportOptions { Path = bus, PollInterval = TimeSpan.FromMilliseconds(50) });
        await transport.DeclareAsync(new QueueDeclaration("downstream", ["test.work-item"]), TestContext.Current.CancellationToken);
        await using var downstream = transport.CreateReceiver("downstream", new ReceiverSettings(TimeSpan.FromSeconds(30)));

        using (var crashing = WorkerProcess.Start("commit-and-crash", "--bus", bus, "--db", db, "--seq", "7"))
        {
            var exit = await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 137 || exit == -1 || exit == 9, $"expected death by SIGKILL, got exit code {exit}: {crashing.Output}");
            Assert.Contains("committed", crashing.Output, StringComparison.Ordinal);
        }

        Assert.Equal(1, Effects.Count(db, "SELECT COUNT(*) FROM effects WHERE seq = 7"));
        Assert.Equal(1, Effects.Count(db, "SELECT COUNT(*) FROM tidings_outbox"));
        Assert.Empty(await downstream.ReceiveWithin(TimeSpan.FromMilliseconds(300)));

        using var restarted = WorkerProcess.Start("relay", "--bus", bus, "--db", db);
        await restarted.WaitForReadyAsync();
        var received = Assert.Single(await downstream.ReceiveWithin(TimeSpan.FromSeconds(15)));
        Assert.Equal("test.work-item", received.Envelope.MessageName);
        Assert.Equal("{\"seq\":7}", received.BodyText());
        await restarted.StopAsync();
        Assert.Equal(0, Effects.Count(db, "SELECT COUNT(*) FROM tidings_outbox"));
    }
}
