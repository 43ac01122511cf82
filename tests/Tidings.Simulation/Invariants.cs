using System.Text.Json;
using CoffeeShop.Counter.Orders;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Transport;

namespace Tidings.Simulation;

/// <summary>
/// What must hold after every run, whatever the faults did:
/// <list type="bullet">
/// <item>nothing accepted is lost: every accepted order's saga ended, with one outcome event, and no queue holds a message
/// or a dead letter;</item>
/// <item>no side effect is doubled at an effectively-once endpoint: at most one charge, refund, drink and write-off per order;</item>
/// <item>every saga ends Completed or Compensated, and its outcome agrees with the money (served: charged, not refunded;
/// refunded: charged and refunded once; written off: never charged);</item>
/// <item>every compensation runs at most once;</item>
/// <item>no timeout fires early, twice, or after it was cancelled.</item>
/// </list>
/// </summary>
internal static class Invariants
{
    public static async Task<IReadOnlyList<string>> CheckAsync(Simulation run)
    {
        var violations = new List<string>();
        var counter = run.Service("counter");
        var inspector = counter.Services.GetRequiredService<ISagaInspector>();
        var charges = Workload.Count(run.Service("cashier").Store, "charges");
        var refunds = Workload.Count(run.Service("cashier").Store, "refunds");
        var drinks = Workload.Count(run.Service("barista").Store, "drinks");
        var writeOffs = Workload.Count(run.Service("barista").Store, "write_offs");
        var outcomes = Outcomes(run.Broker);

        foreach (var queue in new[] { "counter", "cashier", "barista" })
        {
            var (takeable, next) = run.Broker.Peek(queue);
            if (takeable > 0 || next is not null)
            {
                violations.Add($"queue {queue} still holds {run.Broker.Count(queue)} message(s)");
            }

            foreach (var (_, envelope) in run.Broker.DeadLetterSnapshot(queue))
            {
                envelope.Headers.TryGetValue(TidingsHeaders.DeadLetterReason, out var reason);
                envelope.Headers.TryGetValue(TidingsHeaders.ExceptionMessage, out var error);
                violations.Add($"dead letter in {queue}: {Trace.Label(envelope)} ({reason}: {error})");
            }
        }

        foreach (var order in run.Accepted)
        {
            var saga = await inspector.GetAsync(OrderSaga.Name, order);
            if (saga is null)
            {
                violations.Add($"{order}: accepted, but no saga instance: lost");
                continue;
            }

            if (saga.Summary.Status == SagaStatus.Active)
            {
                violations.Add($"{order}: the saga is still active ({Stage(saga)})");
            }

            var (charged, refunded) = (charges.GetValueOrDefault(order), refunds.GetValueOrDefault(order));
            Doubled(violations, order, "charge", charged);
            Doubled(violations, order, "refund", refunded);
            Doubled(violations, order, "drink", drinks.GetValueOrDefault(order));
            Doubled(violations, order, "write-off", writeOffs.GetValueOrDefault(order));
            var stage = Stage(saga);
            var agrees = stage switch
            {
                "served" => charged == 1 && refunded == 0,
                "refunded" => charged == 1 && refunded == 1,
                "written-off" => charged == 0 && refunded == 0,
                _ => false,
            };
            if (!agrees)
            {
                violations.Add($"{order}: ended {stage} with {charged} charge(s) and {refunded} refund(s)");
            }

            if (run.Plans[order] == OrderPlan.Declined && stage != "written-off")
            {
                violations.Add($"{order}: the card was declined, but the order ended {stage}");
            }

            var events = outcomes.GetValueOrDefault(order) ?? [];
            var distinct = events.Select(e => e.Id).Distinct().Count();
            var expected = stage == "served" ? "coffeeshop.order-completed" : "coffeeshop.order-cancelled";
            if (distinct != 1 || events.Exists(e => e.Name != expected))
            {
                violations.Add($"{order}: ended {stage}, with {distinct} distinct outcome event(s): {string.Join(", ", events.Select(e => e.Name))}");
            }

            violations.AddRange(Timeouts(order, saga));
        }

        return violations;
    }

    private static void Doubled(List<string> violations, string order, string what, int count)
    {
        if (count > 1)
        {
            violations.Add($"{order}: {count} of {what}: a side effect doubled");
        }
    }

    private static string Stage(SagaInstanceDetails saga) =>
        saga.State.TryGetProperty("stage", out var stage) ? stage.GetString() ?? "" : "";

    /// <summary>The barista deadline: fired at most once, never before it was due, never after it was cancelled.</summary>
    private static IEnumerable<string> Timeouts(string order, SagaInstanceDetails saga)
    {
        DateTimeOffset? requested = null;
        var cancelled = false;
        var fired = 0;
        foreach (var entry in saga.History.Where(h => h.Detail == "barista-deadline"))
        {
            switch (entry.Kind)
            {
                case "timeout-requested":
                    requested = entry.At;
                    cancelled = false;
                    break;
                case "timeout-cancelled":
                    cancelled = true;
                    break;
                case "timeout":
                    fired++;
                    if (cancelled)
                    {
                        yield return $"{order}: the barista deadline fired after it was cancelled";
                    }

                    if (requested is { } at && entry.At < at + Workload.BaristaDeadline)
                    {
                        yield return $"{order}: the barista deadline fired {(at + Workload.BaristaDeadline - entry.At).TotalSeconds:F1}s early";
                    }

                    break;
            }
        }

        if (fired > 1)
        {
            yield return $"{order}: the barista deadline fired {fired} times";
        }
    }

    /// <summary>The outcome events the outcomes queue got, by order: each one's message id and name.</summary>
    private static Dictionary<string, List<(Guid Id, string Name)>> Outcomes(Tidings.Transport.InMemory.InMemoryTransport broker)
    {
        var outcomes = new Dictionary<string, List<(Guid, string)>>(StringComparer.Ordinal);
        foreach (var envelope in broker.Snapshot(Workload.Outcomes))
        {
            using var body = JsonDocument.Parse(envelope.Body);
            var order = body.RootElement.GetProperty("orderId").GetString()!;
            if (!outcomes.TryGetValue(order, out var list))
            {
                outcomes[order] = list = [];
            }

            list.Add((envelope.MessageId, envelope.MessageName));
        }

        return outcomes;
    }
}
