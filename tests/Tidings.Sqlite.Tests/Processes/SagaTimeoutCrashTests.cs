using System.Text;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>Saga timeouts in a real service process, killed with SIGKILL while they are pending.</summary>
public sealed class SagaTimeoutCrashTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_pending_timeout_survives_a_kill_and_fires_once_after_the_restart()
    {
        const int sagas = 5;
        var bus = _directory.File("bus.db");
        var db = _directory.File("deadlines.db");
        await using (var transport = new SqliteTransport(new SqliteTransportOptions { Path = bus }))
        {
            await transport.DeclareAsync(new QueueDeclaration("deadlines", []), TestContext.Current.CancellationToken);
            await transport.SendAsync(
                Enumerable.Range(1, sagas).Select(seq => new OutgoingMessage(Destination.Queue("deadlines"), Started(seq, timeoutMs: 5000))).ToList(),
                TestContext.Current.CancellationToken);
        }

        using (var victim = WorkerProcess.Start("deadline", "--bus", bus, "--db", db))
        {
            await victim.WaitForReadyAsync();
            await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(*) FROM tidings_schedules") == sagas, TimeSpan.FromSeconds(30), () => victim.Output);
            victim.KillHard();
            await victim.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        // Dead before any fired: the effects are written only by a fired timeout, in that process.
        Assert.Equal(0, Effects.Count(db, "SELECT COUNT(*) FROM effects"));
        Assert.Equal(sagas, Effects.Count(db, "SELECT COUNT(*) FROM tidings_schedules"));

        using var restarted = WorkerProcess.Start("deadline", "--bus", bus, "--db", db);
        await restarted.WaitForReadyAsync();
        await Effects.WaitForAsync(() => Effects.Count(db, "SELECT COUNT(*) FROM tidings_sagas") == 0, TimeSpan.FromSeconds(60), () => restarted.Output);
        await restarted.StopAsync();

        Assert.Equal(sagas, Effects.Count(db, "SELECT COUNT(*) FROM effects"));
        Assert.Equal(sagas, Effects.Count(db, "SELECT COUNT(DISTINCT seq) FROM effects"));
        Assert.Equal(0, Effects.Count(db, "SELECT COUNT(*) FROM tidings_schedules"));
    }

    private static Envelope Started(int seq, int timeoutMs) => new()
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = "test.deadline.started",
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes($"{{\"seq\":{seq},\"timeoutMs\":{timeoutMs}}}"),
    };
}
