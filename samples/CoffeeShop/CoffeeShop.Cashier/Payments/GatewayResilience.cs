using Microsoft.Extensions.Http.Resilience;

namespace CoffeeShop.Cashier.Payments;

/// <summary>
/// The standard resilience pipeline (Microsoft.Extensions.Http.Resilience), tuned for a card gateway: a gateway that
/// takes seconds is failing, and a shop's few calls a second must be able to open the circuit (the defaults want 100
/// calls in 30 s first).
/// </summary>
public static class GatewayResilience
{
    public static void Configure(HttpStandardResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Each attempt, and the whole call with its retries.
        options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
        options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(10);

        // Retried with the same Idempotency-Key (the request is the same message), so the gateway charges once.
        options.Retry.MaxRetryAttempts = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);

        // Half the calls failing over 10 s, with at least 5 calls, opens the circuit for 5 s: calls fail at once
        // instead of waiting on a gateway that is down, and the orders wait on cashier's queue.
        options.CircuitBreaker.FailureRatio = 0.5;
        options.CircuitBreaker.MinimumThroughput = 5;
        options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
        options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(5);
    }
}
