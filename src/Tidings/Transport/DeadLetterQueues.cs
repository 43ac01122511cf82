namespace Tidings.Transport;

/// <summary>The naming convention for dead-letter queues, shared by every transport so tools can find them.</summary>
public static class DeadLetterQueues
{
    /// <summary>The suffix of a dead-letter queue's name.</summary>
    public const string Suffix = ".deadletter";

    /// <summary>The dead-letter queue of <paramref name="queue"/>.</summary>
    public static string For(string queue) => queue + Suffix;
}
