using Xunit;

namespace Tidings.Transport.Contracts;

[MessageName("contract.http.order-placed")]
public sealed record HttpOrderPlaced(string OrderId, string Drink);

public sealed record PlaceHttpOrder([property: System.ComponentModel.DataAnnotations.MinLength(1)] string Drink, string Customer);

[MessageName("contract.http.order-served")]
public sealed record HttpOrderServed(string OrderId);

[MessageName("contract.http.order-refused")]
public sealed record HttpOrderRefused(string OrderId);

/// <summary>What the result resource of a served order shows.</summary>
public sealed record HttpReceipt(string OrderId, string Stage);

public sealed class HttpOrderState
{
    public string Stage { get; set; } = "";
}

/// <summary>The order behind the status resource: brewing once placed, then served (done) or refused (undone).</summary>
public sealed class HttpOrderSaga : Saga<HttpOrderState>
{
    public HttpOrderSaga()
    {
        StartedBy<HttpOrderPlaced>(m => m.OrderId, (_, saga) =>
        {
            saga.State.Stage = "brewing";
            return Task.CompletedTask;
        });
        Handles<HttpOrderServed>(m => m.OrderId, (_, saga) =>
        {
            saga.State.Stage = "served";
            saga.Complete();
            return Task.CompletedTask;
        });
        Handles<HttpOrderRefused>(m => m.OrderId, (_, saga) =>
        {
            saga.State.Stage = "refused";
            saga.Compensate("the barista refused it");
            return Task.CompletedTask;
        });
    }
}
