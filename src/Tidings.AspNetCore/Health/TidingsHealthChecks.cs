using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.AspNetCore.Health;

/// <summary>The transport reaches its broker or database.</summary>
internal sealed class TransportHealthCheck(ITransport transport) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (transport is not ITransportHealth health)
        {
            return HealthCheckResult.Healthy($"The {transport.Name} transport cannot be checked.");
        }

        try
        {
            await health.CheckConnectionAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"The {transport.Name} transport is connected.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The {transport.Name} transport is not connected: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// The store's database answers: a transaction begins and commits. An optimistic one, which on SQLite takes no write
/// lock, so the probe never waits behind the service's own writes.
/// </summary>
internal sealed class StoreHealthCheck(ITransactionalStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var transaction = await store.BeginOptimisticAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return HealthCheckResult.Healthy("The store's database answers.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The store's database does not answer: {ex.Message}", ex);
        }
    }
}

/// <summary>The outbox keeps up: its oldest message is younger than <see cref="TidingsHealthCheckOptions.OutboxMaxAge"/> (degraded if not).</summary>
internal sealed class OutboxHealthCheck(IOutboxStore outbox, TidingsHealthCheckOptions options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        OutboxBacklog backlog;
        ParkedMessages parked;
        try
        {
            backlog = await outbox.MeasureBacklogAsync(cancellationToken).ConfigureAwait(false);
            parked = await outbox.CountParkedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NotSupportedException ex)
        {
            return HealthCheckResult.Healthy(ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The outbox cannot be read: {ex.Message}", ex);
        }

        var now = time.GetUtcNow();
        var age = backlog.OldestAge(now);
        var data = new Dictionary<string, object>
        {
            ["backlog"] = backlog.Count,
            ["oldest_age_seconds"] = Math.Round(age.TotalSeconds, 1),
            ["parked"] = parked.Count,
            ["parked_oldest_age_seconds"] = Math.Round(parked.OldestAge(now).TotalSeconds, 1),
        };
        return age > options.OutboxMaxAge
            ? HealthCheckResult.Degraded(
                $"{backlog.Count} outbox messages wait, the oldest for {age.TotalSeconds:0} s (more than {options.OutboxMaxAge.TotalSeconds:0} s); {parked.Count} are parked.", data: data)
            : HealthCheckResult.Healthy($"{backlog.Count} outbox messages wait.", data);
    }
}

/// <summary>
/// Dead letters need a person: more than <see cref="TidingsHealthCheckOptions.DeadLetterThreshold"/> is degraded, never
/// unhealthy. Those moved into the store (<paramref name="stored"/>) count with those still in the dead-letter queues.
/// </summary>
internal sealed class DeadLetterHealthCheck(ITransport transport, TidingsOptions bus, TidingsHealthCheckOptions options, Tidings.DeadLetters.IDeadLetters? stored = null)
    : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (transport is not ITransportHealth health || bus.EndpointNames.Count == 0)
        {
            return HealthCheckResult.Healthy("No dead-letter queues to count.");
        }

        long depth;
        try
        {
            depth = await health.CountDeadLettersAsync(bus.EndpointNames, cancellationToken).ConfigureAwait(false);
            foreach (var endpoint in stored is null ? [] : bus.EndpointNames)
            {
                depth += await stored!.CountAsync(new Tidings.DeadLetters.DeadLetterQuery { Endpoint = endpoint }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The transport check says unhealthy when the broker is gone; this one only says what it could not count.
            return HealthCheckResult.Degraded($"The dead-letter queues cannot be counted: {ex.Message}", ex);
        }

        var data = new Dictionary<string, object> { ["dead_letters"] = depth };
        return depth > options.DeadLetterThreshold
            ? HealthCheckResult.Degraded($"{depth} dead letters of {string.Join(", ", bus.EndpointNames)} wait for a person (more than {options.DeadLetterThreshold}).", data: data)
            : HealthCheckResult.Healthy($"{depth} dead letters.", data);
    }
}
