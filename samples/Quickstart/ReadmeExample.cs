// The code on the README's first screen, compiled with the solution; a test checks that the README shows exactly this.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tidings;
using Tidings.Sqlite;

namespace Quickstart.Readme;

// <readme>
[MessageName("coffee.order-placed")]                       // the name travels, never the CLR type
public sealed record OrderPlaced(int OrderId, string Drink, string Name);

public sealed class StartDrink : IHandleMessages<OrderPlaced>
{
    public Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        Console.WriteLine($"making a {message.Drink} for {message.Name}");
        return Task.CompletedTask;
    }
}
// </readme>

[MessageName("coffee.charge-card")]
public sealed record ChargeCard(int OrderId, int Cents);

public static class ReadmeExample
{
    public static async Task RunAsync(HostApplicationBuilder builder, IBus bus)
    {
        // <readme>
        builder.Services.AddTidings(tidings => tidings
            .UseSqlite("data/bus.db")                                 // one bus file per host, shared by its processes
            .UseSqliteStore("data/barista.db")                        // the service's own database: inbox and outbox
            .AddEndpoint("barista", endpoint =>
            {
                endpoint.Handle<OrderPlaced, StartDrink>();           // subscribes the "barista" queue to the event
                endpoint.DeliveryMode = DeliveryMode.EffectivelyOnce; // inbox + outbox commit with the handler's data
            }));

        await bus.PublishAsync(new OrderPlaced(1, "flat white", "Ada"));      // an event: every subscriber gets a copy
        await bus.SendAsync("cashier", new ChargeCard(1, 450));              // a command: one named endpoint
        // </readme>
    }
}
