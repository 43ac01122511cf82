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
        // A header is ASCII, and a name on a cup may not be ("Zoë"): the key is the order id, escaped.
        request.Headers.Add("Idempotency-Key", Uri.EscapeDataString(charge.OrderId));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ChargeResult>(cancellationToken))!;
    }

    /// <summary>Gives the payment back; its key is the payment's, so a retry refunds nothing twice.</summary>
    public async Task RefundAsync(string paymentId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/refunds") { Content = JsonContent.Create(new { paymentId }) };
        request.Headers.Add("Idempotency-Key", "refund-" + Uri.EscapeDataString(paymentId));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>A charge as the gateway takes it.</summary>
public sealed record OrderPlacedCharge(string OrderId, long AmountCents, string CardToken);
