namespace Tidings.Tests.Support;

public sealed class RecordingHandler(Recorder recorder) :
    IHandleMessages<OrderPlaced>, IHandleMessages<DrinkReady>, IHandleMessages<MakeDrink>, IHandleMessages<Big>
{
    public Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken) => Record(message, context);

    public Task HandleAsync(DrinkReady message, IMessageContext context, CancellationToken cancellationToken) => Record(message, context);

    public Task HandleAsync(MakeDrink message, IMessageContext context, CancellationToken cancellationToken) => Record(message, context);

    public Task HandleAsync(Big message, IMessageContext context, CancellationToken cancellationToken) => Record(message, context);

    private Task Record(object message, IMessageContext context)
    {
        recorder.Record(message, context.Envelope);
        return Task.CompletedTask;
    }
}

/// <summary>Fails the first <see cref="Flaky.FailTimes"/> attempts of each message (-1: always).</summary>
public sealed class FlakyHandler(Recorder recorder) : IHandleMessages<Flaky>
{
    public Task HandleAsync(Flaky message, IMessageContext context, CancellationToken cancellationToken)
    {
        var attempt = recorder.Increment($"flaky-{message.Id}");
        if (message.FailTimes < 0 || attempt <= message.FailTimes)
        {
            throw new InvalidOperationException($"flaky {message.Id} attempt {attempt}");
        }

        recorder.Record(message, context.Envelope);
        return Task.CompletedTask;
    }
}

/// <summary>On an order, asks the barista for a drink; then fails if the order id is negative.</summary>
public sealed class OrderSagaHandler(Recorder recorder) : IHandleMessages<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        await context.SendAsync("barista", new MakeDrink(message.OrderId), cancellationToken: cancellationToken);
        await context.PublishAsync(new DrinkReady(message.OrderId), cancellationToken: cancellationToken);
        recorder.Increment("saga-attempts");
        if (message.OrderId < 0)
        {
            throw new InvalidOperationException("no such order");
        }
    }
}

public sealed class SlowHandler(Recorder recorder) : IHandleMessages<Slow>
{
    public async Task HandleAsync(Slow message, IMessageContext context, CancellationToken cancellationToken)
    {
        recorder.Increment("slow-started");
        await Task.Delay(message.Milliseconds, cancellationToken);
        recorder.Record(message, context.Envelope);
    }
}

public sealed class ReplyingHandler : IHandleMessages<MakeDrink>
{
    public async Task HandleAsync(MakeDrink message, IMessageContext context, CancellationToken cancellationToken) =>
        await context.ReplyAsync(new DrinkReady(message.OrderId), cancellationToken: cancellationToken);
}
