using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Tidings.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.Contracts;
using Tidings.Transport.InMemory;

namespace Tidings.Tests.Endpoints;

[MessageName("test.forward")]
public sealed record Forward(int Id, string To, bool Fail = false);

[MessageName("test.forwarded")]
public sealed record Forwarded(int Id);

/// <summary>Sends one message on to the queue the message names, then fails if it was told to.</summary>
public sealed class ForwardHandler : IHandleMessages<Forward>
{
    public async Task HandleAsync(Forward message, IMessageContext context, CancellationToken cancellationToken)
    {
        await context.SendAsync(message.To, new Forwarded(message.Id), cancellationToken: cancellationToken);
        if (message.Fail)
        {
            throw new InvalidOperationException($"forward {message.Id} failed after sending");
        }
    }
}

/// <summary>The in-memory transport, with a record of each send the host makes and what was still queued at the time.</summary>
internal sealed class SendRecordingTransport(InMemoryTransport inner, string watched) : ITransport
{
    public ConcurrentQueue<(int Messages, int WatchedQueued)> Sends { get; } = new();

    public string Name => inner.Name;

    public Task DeclareAsync(QueueDeclaration queue, CancellationToken cancellationToken = default) => inner.DeclareAsync(queue, cancellationToken);

    public Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        Sends.Enqueue((messages.Count, inner.Count(watched)));
        return inner.SendAsync(messages, cancellationToken);
    }

    public IMessageReceiver CreateReceiver(string queue, ReceiverSettings settings) => inner.CreateReceiver(queue, settings);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>
/// At-least-once: what a batch's handlers send leaves in one send, after the handlers and before the batch is
/// acknowledged; a handler that fails sends nothing; a refused send fails only the message whose send it was.
/// </summary>
public sealed class BatchedSendTests
{
    private const string Work = "work";
    private const string Out = "out";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batchs_messages_leave_in_one_send_while_the_batch_is_still_unacknowledged()
    {
        var (inner, recording) = await QueuedAsync(Enumerable.Range(1, 5).Select(i => new Forward(i, Out)).ToArray());
        await using var bus = await StartAsync(inner, recording);

        var forwarded = await DrainAsync(inner, Out, 5);

        Assert.Equal([1, 2, 3, 4, 5], forwarded.Select(f => f.Id).Order());
        var send = Assert.Single(recording.Sends);
        Assert.Equal((5, 5), send);
        await DeliveryModeTests.WaitUntil(() => inner.Count(Work) == 0);
    }

    [Fact]
    public async Task A_handler_that_fails_after_sending_sends_nothing_and_its_neighbours_messages_leave()
    {
        var (inner, recording) = await QueuedAsync(new Forward(1, Out), new Forward(2, Out, Fail: true), new Forward(3, Out));
        await using var bus = await StartAsync(inner, recording);

        var dead = await bus.DeadLetterAsync(Work);
        var forwarded = await DrainAsync(inner, Out, 2);

        Assert.Equal(2, Read<Forward>(dead).Id);
        Assert.Equal([1, 3], forwarded.Select(f => f.Id).Order());
        Assert.Equal((2, 3), Assert.Single(recording.Sends));
        Assert.Equal(0, inner.Count(Out));
    }

    [Fact]
    public async Task A_send_that_is_refused_fails_only_its_own_message()
    {
        var (inner, recording) = await QueuedAsync(new Forward(1, Out), new Forward(2, "nowhere"), new Forward(3, Out));
        await using var bus = await StartAsync(inner, recording);

        var dead = await bus.DeadLetterAsync(Work);
        var forwarded = await DrainAsync(inner, Out, 2);

        Assert.Equal(2, Read<Forward>(dead).Id);
        Assert.Equal("handler-failed", dead.Envelope.Headers[TidingsHeaders.DeadLetterReason]);
        Assert.Equal(typeof(UnroutableMessageException).FullName, dead.Envelope.Headers[TidingsHeaders.ExceptionType]);
        Assert.Equal([1, 3], forwarded.Select(f => f.Id).Order());

        // The batch's send, refused as a whole, then each message's own: the refused one stored nothing.
        Assert.Equal([3, 1, 1, 1], recording.Sends.Select(s => s.Messages));
        Assert.Equal(0, inner.Count(Out));
    }

    /// <summary>The messages wait on the queue before the host starts, so that one receive takes them all as one batch.</summary>
    private static async Task<(InMemoryTransport Inner, SendRecordingTransport Recording)> QueuedAsync(params Forward[] messages)
    {
        var inner = new InMemoryTransport();
        await inner.DeclareAsync(new QueueDeclaration(Work, []), Ct);
        await inner.DeclareAsync(new QueueDeclaration(Out, []), Ct);
        await inner.SendAsync(messages.Select(m => new OutgoingMessage(Destination.Queue(Work), Envelope("test.forward", m))).ToList(), Ct);
        return (inner, new SendRecordingTransport(inner, Work));
    }

    private static Task<TestBus> StartAsync(InMemoryTransport inner, SendRecordingTransport recording) => TestBus.StartAsync(t =>
    {
        t.UseTransport(_ => recording);
        t.AddMessage<Forwarded>();
        t.AddEndpoint(Work, e =>
        {
            e.Handle<Forward, ForwardHandler>();
            e.Concurrency = 1;
            e.Prefetch = 10;
            e.Retries = RetryPolicy.None;
        });
    }, inner);

    private static async Task<List<Forwarded>> DrainAsync(InMemoryTransport transport, string queue, int count)
    {
        await using var receiver = transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var received = await receiver.DrainAsync(count, TimeSpan.FromSeconds(10));
        return received.Select(Read<Forwarded>).ToList();
    }

    private static Envelope Envelope<T>(string name, T message) => new()
    {
        MessageId = Tidings.Envelope.NewMessageId(),
        MessageName = name,
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, JsonSerializerOptions.Web)),
    };

    private static T Read<T>(ReceivedMessage message) => JsonSerializer.Deserialize<T>(message.Envelope.Body.Span, JsonSerializerOptions.Web)!;
}
