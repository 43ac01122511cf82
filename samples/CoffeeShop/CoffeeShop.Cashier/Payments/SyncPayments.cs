namespace CoffeeShop.Cashier.Payments;

/// <summary>A payment over HTTP, for the suite's sync mode (the foil of the benchmark): the caller waits for the gateway too.</summary>
public static class SyncPayments
{
    /// <summary><c>POST /payments</c> charges (the order id is the key), <c>POST /refunds</c> gives it back.</summary>
    public static IEndpointRouteBuilder MapSyncPayments(this IEndpointRouteBuilder app)
    {
        app.MapPost("/payments", async (OrderPlacedCharge charge, PaymentGatewayClient gateway, CancellationToken cancellationToken) =>
            TypedResults.Ok(await gateway.ChargeAsync(charge, cancellationToken)));
        app.MapPost("/refunds", async (RefundRequest refund, PaymentGatewayClient gateway, CancellationToken cancellationToken) =>
        {
            await gateway.RefundAsync(refund.PaymentId, cancellationToken);
            return TypedResults.Ok();
        });
        return app;
    }
}

/// <summary>A refund as the sync mode asks for it.</summary>
public sealed record RefundRequest(string PaymentId);
