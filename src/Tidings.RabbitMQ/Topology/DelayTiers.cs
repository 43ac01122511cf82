namespace Tidings.RabbitMQ.Topology;

/// <summary>
/// Delayed delivery without broker plugins. A delayed message waits in a chain of queues whose fixed time-to-live is a
/// power of two milliseconds: it goes to the longest one that does not overshoot its due time; when it expires there,
/// the broker moves it to the due queue, where the delay forwarder sends it on to a shorter tier or, once due, to its
/// destination. All messages of one tier queue expire in arrival order, so none waits behind a longer one.
/// </summary>
internal static class DelayTiers
{
    /// <summary>The shortest tier, 2^6 = 64 ms. Less than that is waited out by the forwarder itself.</summary>
    public const int ShortestExponent = 6;

    /// <summary>The longest tier, 2^31 ms (about 25 days); longer delays pass through it more than once.</summary>
    public const int LongestExponent = 31;

    /// <summary>The queue due messages come to, to be forwarded.</summary>
    public const string DueQueue = "tidings.delay.due";

    /// <summary>The tier to wait in for <paramref name="remaining"/>, or null if less than the shortest tier remains.</summary>
    public static long? TierFor(TimeSpan remaining)
    {
        var ms = (long)remaining.TotalMilliseconds;
        if (ms < 1L << ShortestExponent)
        {
            return null;
        }

        var exponent = Math.Min(LongestExponent, 63 - long.LeadingZeroCount(ms));
        return 1L << (int)exponent;
    }

    /// <summary>The name of the tier queue whose messages wait <paramref name="tierMs"/> milliseconds.</summary>
    public static string QueueName(long tierMs) => $"tidings.delay.{tierMs}ms";
}
