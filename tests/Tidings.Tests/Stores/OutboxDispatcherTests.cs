using Microsoft.Extensions.Logging.Abstractions;
using Tidings.Stores;
using Tidings.Transport;
using Tidings.Transport.InMemory;

namespace Tidings.Tests.Stores;

public sealed class OutboxDispatcherTests
{
    [Fact]
    public async Task A_message_removed_while_the_relay_reads_the_outbox_is_not_handed_to_the_relay()
    {
        var (outbox, dispatcher, entry) = Committed("billing");
        dispatcher.Claim([entry]);
        dispatcher.ReturnSent([entry]); // sent right after its commit, waiting for removal

        var fetch = dispatcher.FetchUnclaimedAsync(10, TestContext.Current.CancellationToken);
        await outbox.ReadTaken.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken); // the read has the row
        await dispatcher.RemoveSentAsync(TestContext.Current.CancellationToken); // removal commits, the claim goes
        outbox.FinishRead.SetResult();

        Assert.Empty(await fetch);
        Assert.Empty(outbox.Rows);
    }

    [Fact]
    public async Task A_message_whose_send_failed_is_handed_to_the_relay()
    {
        var (outbox, dispatcher, entry) = Committed("no-such-queue");
        dispatcher.Claim([entry]);
        dispatcher.DispatchCommitted([entry]); // the queue does not exist: the send fails and the claim is dropped
        await dispatcher.WhenSendsCompleteAsync(TimeSpan.FromSeconds(10));
        outbox.FinishRead.SetResult();

        Assert.Equal(entry, Assert.Single(await dispatcher.FetchUnclaimedAsync(10, TestContext.Current.CancellationToken)));
    }

    /// <summary>A dispatcher, and one message to <paramref name="queue"/> committed to its outbox.</summary>
    private static (PausingOutbox Outbox, OutboxDispatcher Dispatcher, OutboxEntry Entry) Committed(string queue)
    {
        var outbox = new PausingOutbox();
        var entry = new OutboxEntry(1, new OutgoingMessage(Destination.Queue(queue), new Envelope
        {
            MessageId = Guid.CreateVersion7(),
            MessageName = "test.charged",
            Body = new byte[] { 1 },
        }));
        outbox.Rows.Add(entry);
        return (outbox, new OutboxDispatcher(outbox, new InMemoryTransport(), NullLogger<OutboxDispatcher>.Instance), entry);
    }

    /// <summary>An outbox whose reads wait for the test, to interleave a removal with a read deterministically.</summary>
    private sealed class PausingOutbox : IOutboxStore
    {
        public List<OutboxEntry> Rows { get; } = [];

        public TaskCompletionSource ReadTaken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FinishRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<IReadOnlyList<OutboxEntry>> FetchAsync(int maxMessages, CancellationToken cancellationToken = default)
        {
            var read = Rows.Take(maxMessages).ToList();
            ReadTaken.TrySetResult();
            await FinishRead.Task.WaitAsync(cancellationToken);
            return read;
        }

        public Task RemoveAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
        {
            Rows.RemoveAll(entries.Contains);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<OutboxEntry>> AddAsync(StoreTransaction transaction, IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task RemoveAsync(StoreTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task ParkAsync(IReadOnlyList<OutboxEntry> entries, string reason, OutboxBackoff backoff, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<ParkedMessages> CountParkedAsync(CancellationToken cancellationToken = default) => Task.FromResult(ParkedMessages.None);
    }
}
