namespace Tidings.Benchmarks;

/// <summary>A publisher and a consumer under test: Tidings on some transport, or the raw client yardstick.</summary>
internal interface IBenchRig : IAsyncDisposable
{
    /// <summary>Publishes one message; completes when the transport has stored it (confirmed).</summary>
    Task PublishAsync(BenchMessage message);

    /// <summary>Runs the consumer through JIT, connection pools and first commits before measuring.</summary>
    Task WarmUpAsync(string padding);

    /// <summary>Waits until every measured message was handled; returns what the consumer measured.</summary>
    Task<ConsumerReport> WaitForConsumerAsync();

    /// <summary>True if the consumer runs in this process, so this process's allocation count includes it.</summary>
    bool ConsumerAllocationsIncludedLocally { get; }
}

/// <summary>A requester and a responder under test.</summary>
internal interface IRequestRig : IAsyncDisposable
{
    /// <summary>Sends one request and waits for its reply.</summary>
    Task RoundTripAsync(long seq, string padding);
}

[MessageName("bench.request")]
public sealed record BenchRequest(long Seq, string Padding);

[MessageName("bench.reply")]
public sealed record BenchReply(long Seq);

public sealed class BenchRequestHandler : IHandleMessages<BenchRequest>
{
    public async Task HandleAsync(BenchRequest message, IMessageContext context, CancellationToken cancellationToken) =>
        await context.ReplyAsync(new BenchReply(message.Seq), cancellationToken: cancellationToken);
}
