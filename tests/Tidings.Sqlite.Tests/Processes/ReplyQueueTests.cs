using System.Text;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>Requester processes leave no reply queue behind: not when they stop, not when they are killed.</summary>
public sealed class ReplyQueueTests : IDisposable
{
    private const string Expiry = "6000";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Reply_queues_go_with_their_messages_when_their_process_stops_or_is_killed()
    {
        var bus = _directory.File("bus.db");
        await using var transport = new SqliteTransport(new SqliteTransportOptions { Path = bus, TemporaryQueueExpiry = TimeSpan.FromMilliseconds(1500) });
        await transport.DeclareAsync(new QueueDeclaration("requests", []), TestContext.Current.CancellationToken);

        using var first = WorkerProcess.Start("request", "--bus", bus, "--to", "requests", "--temporary-expiry-ms", Expiry);
        using var second = WorkerProcess.Start("request", "--bus", bus, "--to", "requests", "--temporary-expiry-ms", Expiry);
        using var killed = WorkerProcess.Start("request", "--bus", bus, "--to", "requests", "--temporary-expiry-ms", Expiry);
        await Task.WhenAll(first.WaitForReadyAsync(), second.WaitForReadyAsync(), killed.WaitForReadyAsync());

        var replyQueues = ReplyQueues(bus);
        Assert.Equal(3, replyQueues.Count);
        Assert.Equal(6, Effects.Count(bus, "SELECT COUNT(*) FROM queues WHERE name LIKE 'tidings.replies.%'"));

        await first.StopAsync();
        await second.StopAsync();
        var left = Assert.Single(ReplyQueues(bus));
        Assert.Equal(2, Effects.Count(bus, "SELECT COUNT(*) FROM queues WHERE name LIKE 'tidings.replies.%'"));

        // A late reply to a stopped process has nowhere to pile up.
        var gone = replyQueues.First(q => q != left);
        await Assert.ThrowsAsync<UnroutableMessageException>(() => transport.SendAsync([LateReply(gone)], TestContext.Current.CancellationToken));

        // The killed process renews nothing: its queues expire, and a live process (this test's transport) drops them,
        // with the late reply that arrived meanwhile.
        killed.KillHard();
        await transport.SendAsync([LateReply(left)], TestContext.Current.CancellationToken);
        Assert.Equal(1, Effects.Count(bus, "SELECT COUNT(*) FROM messages WHERE queue LIKE 'tidings.replies.%'"));
        await Effects.WaitForAsync(() => ReplyQueues(bus).Count == 0, TimeSpan.FromSeconds(30), () => $"{left} is still in the bus file");
        Assert.Equal(0, Effects.Count(bus, "SELECT COUNT(*) FROM queues WHERE name LIKE 'tidings.replies.%'"));
        Assert.Equal(0, Effects.Count(bus, "SELECT COUNT(*) FROM messages WHERE queue LIKE 'tidings.replies.%'"));
        Assert.Equal(1, Effects.Count(bus, "SELECT COUNT(*) FROM queues WHERE name = 'requests'"));
    }

    private static OutgoingMessage LateReply(string queue) => new(Destination.Queue(queue), new Envelope
    {
        MessageId = Envelope.NewMessageId(), MessageName = "test.work-item", SentAt = DateTimeOffset.UtcNow, Body = Encoding.UTF8.GetBytes("{\"seq\":1}"),
    });

    private static List<string> ReplyQueues(string bus)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={bus};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM queues WHERE name LIKE 'tidings.replies.%' AND name NOT LIKE '%.deadletter'";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
