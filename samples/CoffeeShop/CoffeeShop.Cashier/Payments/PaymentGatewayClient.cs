using System.Net.Http.Json;

namespace CoffeeShop.Cashier.Payments;

/// <summary>What the gateway answers to a charge.</summary>
public sealed record ChargeResult(string PaymentId, string Status, long AmountCents, string? Reason);

/// <summary>The payment gateway over HTTP (through the resilience pipeline of its HttpClient).</summary>
public sealed class PaymentGatewayClient(HttpClient http)
{
    /// <summary>Charges the card; the order id is the idempotency key, so a retry charges nothing twice.</summary>
    public async Task<ChargeResult> ChargeAsync(OrderPlacedCharge charge, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/charges") { Content = JsonContent.Create(charge) };
        request.Headers.Add("Idempotency-Key", charge.OrderId);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ChargeResult>(cancellationToken))!;
    }

    public async Task RefundAsync(string paymentId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/refunds", new { paymentId }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>A charge as the gateway takes it.</summary>
public sealed record OrderPlacedCharge(string OrderId, long AmountCents, string CardToken);
