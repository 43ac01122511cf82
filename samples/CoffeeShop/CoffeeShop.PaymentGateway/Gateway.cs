using System.Collections.Concurrent;

namespace CoffeeShop.PaymentGateway;

/// <summary>A charge request.</summary>
public sealed record Charge(string OrderId, long AmountCents, string CardToken);

/// <summary>A refund request.</summary>
public sealed record Refund(string PaymentId);

/// <summary>What the gateway answers to a charge.</summary>
public sealed record ChargeResult(string PaymentId, string Status, long AmountCents, string? Reason = null);

/// <summary>
/// How the fake behaves: its latency, and how often it declines or fails. Read from configuration at start, and
/// changed while it runs through <c>PUT /faults</c> (for chaos: a gateway that starts failing, then recovers).
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>How long each call takes.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>The share of cards declined (besides <c>tok_declined</c>, always declined).</summary>
    public double DeclineRate { get; set; }

    /// <summary>The share of calls answered 503, before anything is charged.</summary>
    public double FailureRate { get; set; }

    /// <summary>How many calls of each key are answered 503 before one goes through (for tests of retries).</summary>
    public int FailFirst { get; set; }

    public static GatewayOptions From(IConfiguration configuration) => new GatewayOptions().Change(new Faults(
        configuration.GetValue("PaymentGateway:LatencyMs", 20), configuration.GetValue("PaymentGateway:DeclineRate", 0.0),
        configuration.GetValue("PaymentGateway:FailureRate", 0.0), configuration.GetValue("PaymentGateway:FailFirst", 0)));

    /// <summary>Takes the faults given (null: unchanged), after checking them all.</summary>
    public GatewayOptions Change(Faults faults)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(faults.LatencyMs ?? 0, "latencyMs");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(faults.LatencyMs ?? 0, 60_000, "latencyMs");
        foreach (var (name, rate) in new[] { ("declineRate", faults.DeclineRate), ("failureRate", faults.FailureRate) })
        {
            if (rate is < 0 or > 1)
            {
                throw new ArgumentOutOfRangeException(name, rate, "A rate is a share from 0 to 1.");
            }
        }

        ArgumentOutOfRangeException.ThrowIfNegative(faults.FailFirst ?? 0, "failFirst");
        Latency = faults.LatencyMs is { } ms ? TimeSpan.FromMilliseconds(ms) : Latency;
        DeclineRate = faults.DeclineRate ?? DeclineRate;
        FailureRate = faults.FailureRate ?? FailureRate;
        FailFirst = faults.FailFirst ?? FailFirst;
        return this;
    }
}

/// <summary>A change to the fake's behaviour; what is null stays as it is.</summary>
public sealed record Faults(int? LatencyMs = null, double? DeclineRate = null, double? FailureRate = null, int? FailFirst = null);

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

    public object Faults() => new { latencyMs = (int)options.Latency.TotalMilliseconds, options.DeclineRate, options.FailureRate, options.FailFirst };

    public object Ledger() => new
    {
        charges = _charges.Select(c => new { key = c.Key, c.Value.PaymentId, c.Value.Status, c.Value.AmountCents }).ToList(),
        attempts = _attempts.ToDictionary(a => a.Key, a => a.Value),
        refunds = _refunds.Keys.ToList(),
    };
}
