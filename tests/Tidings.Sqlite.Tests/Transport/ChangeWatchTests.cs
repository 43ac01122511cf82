using Tidings.Sqlite.Tests.Support;
using Tidings.Sqlite.Transport;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Transport;

/// <summary>
/// How a process hears that another one wrote the bus file: its receivers wake without waiting for their poll, and the
/// inotify watch on the write-ahead log survives the file being made late, or removed and made again.
/// </summary>
public sealed class ChangeWatchTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_send_by_another_process_wakes_a_waiting_receiver_long_before_its_poll()
    {
        // Two transports on one file are two processes: each has its own wake-up signal, so only the watch can wake B.
        SqliteTransport Process() => new(new SqliteTransportOptions { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromHours(1) });
        await using var sender = Process();
        await using var receiving = Process();
        await receiving.DeclareAsync(new QueueDeclaration("orders", []), Ct);
        await using var receiver = receiving.CreateReceiver("orders", new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var first = receiver.ReceiveAsync(1, Ct).AsTask(); // waits: the queue is empty, and the next poll is an hour away

        await sender.SendAsync([new OutgoingMessage(Destination.Queue("orders"), TestMessages.Envelope(body: "\"flat white\""))], Ct);

        var received = await first.WaitAsync(Patience, Ct);
        Assert.Equal("\"flat white\"", Assert.Single(received).BodyText());
    }

    [Fact]
    public async Task A_file_made_after_the_watch_began_is_watched()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "inotify is Linux's; elsewhere the transport watches the folder");
        var path = _directory.File("later.db-wal");
        var changes = new ChangeCounter();
        using var watch = InotifyFileWatch.TryStart(path, changes.Add);
        Assert.NotNull(watch);

        // Made empty (no write, so no event of its own): the one call that follows is the watch taking hold.
        await using (File.Open(path, FileMode.CreateNew))
        {
        }

        await changes.WaitForAsync(1);
        var seen = changes.Count;
        await File.AppendAllTextAsync(path, "written", Ct);
        await changes.WaitForAsync(seen + 1);
    }

    [Fact]
    public async Task A_file_removed_and_made_again_is_watched_again()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "inotify is Linux's; elsewhere the transport watches the folder");
        var path = _directory.File("bus.db-wal");
        await File.WriteAllTextAsync(path, "first", Ct);
        var changes = new ChangeCounter();
        using var watch = InotifyFileWatch.TryStart(path, changes.Add);
        Assert.NotNull(watch);
        await changes.WaitForAsync(1); // watching

        // Removed (SQLite does so when the last connection closes): the kernel drops the watch, and says so.
        var beforeRemoval = changes.Count;
        File.Delete(path);
        await changes.WaitForAsync(beforeRemoval + 1);

        // Made again, empty: the call that follows is the new file's watch taking hold; then a write to it is heard.
        var removed = changes.Count;
        await using (File.Open(path, FileMode.CreateNew))
        {
        }

        await changes.WaitForAsync(removed + 1);
        var watchedAgain = changes.Count;
        await File.AppendAllTextAsync(path, "second", Ct);
        await changes.WaitForAsync(watchedAgain + 1);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>The watch's calls, and a wait for the next ones.</summary>
    private sealed class ChangeCounter
    {
        private readonly Lock _lock = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _count;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public void Add()
        {
            lock (_lock)
            {
                _count++;
                foreach (var waiter in _waiters.Where(w => _count >= w.Count))
                {
                    waiter.Reached.TrySetResult();
                }

                _waiters.RemoveAll(w => _count >= w.Count);
            }
        }

        public Task WaitForAsync(int count)
        {
            lock (_lock)
            {
                if (_count >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task.WaitAsync(Patience, Ct);
            }
        }
    }
}
