namespace Tidings.AspNetCore.Health;

/// <summary>What Tidings' health checks count as healthy, and how they are tagged.</summary>
public sealed class TidingsHealthCheckOptions
{
    /// <summary>
    /// The tags of every check. <c>ready</c> by default, and never <c>live</c>: a broker or database that is down makes a
    /// service unready (take it out of the load balancer), but restarting it, which is what a failing liveness probe
    /// does, would not bring the broker back. Aspire's service defaults map <c>/health</c> to all checks and
    /// <c>/alive</c> to those tagged <c>live</c>, so these show at <c>/health</c> only.
    /// </summary>
    public IList<string> Tags { get; } = ["ready", "tidings"];

    /// <summary>How long the oldest outbox message may wait before the outbox check says degraded. 30 seconds.</summary>
    public TimeSpan OutboxMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many dead letters (over all this service's endpoints) are tolerated before the dead-letter check says degraded. 0.</summary>
    public long DeadLetterThreshold { get; set; }

    /// <summary>How long one check may take before it counts as failed. 5 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}
