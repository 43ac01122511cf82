using Tidings;

namespace Quickstart;

/// <summary>Messages are plain records with a stable name; the name travels, never the CLR type.</summary>
[MessageName("coffee.order-placed")]
public sealed record OrderPlaced(int OrderId, string Drink, string Name);

/// <summary>The handler sees the message and its context, not the broker.</summary>
public sealed class StartDrink : IHandleMessages<OrderPlaced>
{
    public Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        Console.WriteLine($"[barista pid {Environment.ProcessId}] making a {message.Drink} for {message.Name} (order {message.OrderId}, message {context.Envelope.MessageId})");
        return Task.CompletedTask;
    }
}
