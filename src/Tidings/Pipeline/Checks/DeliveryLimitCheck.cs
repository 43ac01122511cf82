namespace Tidings.Pipeline.Checks;

/// <summary>
/// Refuses a message its consumers abandoned too often (they died or lost the lease while holding it): it may be what
/// kills them (a crash, an out-of-memory), and it must not take the endpoint down forever. Checked before the body is read.
/// </summary>
internal sealed class DeliveryLimitCheck : IPoisonCheck
{
    public Refusal? Check(ReceiveContext context)
    {
        var (abandoned, max) = (context.Received.AbandonedDeliveries, context.Endpoint.Options.Retries.MaxAbandonedDeliveries);
        return abandoned >= max
            ? new Refusal("abandoned-too-often", new InvalidOperationException($"Abandoned by its consumers {abandoned} times (limit {max})."))
            : null;
    }
}
