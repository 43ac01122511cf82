using System.Collections.Concurrent;

namespace CoffeeShop.PaymentGateway;

/// <summary>A charge request.</summary>
public sealed record Charge(string OrderId, long AmountCents, string CardToken);

/// <summary>A refund request.</summary>
public sealed record Refund(string PaymentId);

/// <summary>What the gateway answers to a charge.</summary>
public sealed record ChargeResult(string PaymentId, string Status, long AmountCents, string? Reason = null);

/// <summary>How the fake behaves: its latency, and how often it declines or fails.</summary>
/// <param name="Latency">How long each call takes.</param>
/// <param name="DeclineRate">The share of cards declined (besides <c>tok_declined</c>, always declined).</param>
/// <param name="FailureRate">The share of calls answered 503, before anything is charged.</param>
/// <param name="FailFirst">How many calls of each key are answered 503 before one goes through (for tests of retries).</param>
public sealed record GatewayOptions(TimeSpan Latency, double DeclineRate, double FailureRate, int FailFirst)
{
    public static GatewayOptions From(IConfiguration configuration) => new(
        TimeSpan.FromMilliseconds(configuration.GetValue("PaymentGateway:LatencyMs", 20)),
        configuration.GetValue("PaymentGateway:DeclineRate", 0.0),
        configuration.GetValue("PaymentGateway:FailureRate", 0.0),
        configuration.GetValue("PaymentGateway:FailFirst", 0));
}

/// <summary>
/// The card processor: a charge is kept under its idempotency key, so a retry with the key gets the first answer and
/// charges nothing twice. Its ledger tells the tests what was charged and refunded.
/// </summary>
public sealed class Gateway(GatewayOptions options)
{
    private readonly ConcurrentDictionary<string, ChargeResult> _charges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refunds = new(StringComparer.Ordinal);

    public async Task<IResult> ChargeAsync(Charge charge, string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return Results.Problem("Charges need an Idempotency-Key.", statusCode: StatusCodes.Status400BadRequest);
        }

        // The fake's configured latency: what a real processor's network and work cost the caller.
        await Task.Delay(options.Latency);
        if (_charges.TryGetValue(key, out var done))
        {
            return Results.Ok(done);
        }

        if (_attempts.AddOrUpdate(key, 1, (_, n) => n + 1) <= options.FailFirst || Random.Shared.NextDouble() < options.FailureRate)
        {
            return Results.Problem("The processor is unavailable.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var declined = charge.CardToken == "tok_declined" || Random.Shared.NextDouble() < options.DeclineRate;
        var result = _charges.GetOrAdd(key, _ => declined
            ? new ChargeResult("", "declined", charge.AmountCents, "insufficient funds")
            : new ChargeResult("pay_" + Guid.NewGuid().ToString("N")[..12], "accepted", charge.AmountCents));
        return Results.Ok(result);
    }

    public async Task<IResult> RefundAsync(Refund refund)
    {
        await Task.Delay(options.Latency);
        _refunds.TryAdd(refund.PaymentId, 0);
        return Results.Ok(new { refund.PaymentId, status = "refunded" });
    }

    public object Ledger() => new
    {
        charges = _charges.Select(c => new { key = c.Key, c.Value.PaymentId, c.Value.Status, c.Value.AmountCents }).ToList(),
        attempts = _attempts.ToDictionary(a => a.Key, a => a.Value),
        refunds = _refunds.Keys.ToList(),
    };
}
