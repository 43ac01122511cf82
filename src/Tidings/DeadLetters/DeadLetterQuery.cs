namespace Tidings.DeadLetters;

/// <summary>
/// Which dead letters to look at: every filter that is set must match (an empty query selects them all). Text filters
/// match exactly.
/// </summary>
public sealed record DeadLetterQuery
{
    /// <summary>Every dead letter.</summary>
    public static DeadLetterQuery All { get; } = new();

    /// <summary>The endpoint (queue) they failed on.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Why they were dead-lettered (<see cref="TidingsHeaders.DeadLetterReason"/>), e.g. <c>handler-failed</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The full type name of the exception they failed with.</summary>
    public string? ExceptionType { get; init; }

    /// <summary>The message name (<see cref="MessageNameAttribute"/>).</summary>
    public string? MessageName { get; init; }

    /// <summary>Dead-lettered at or after this moment.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Dead-lettered before this moment.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The failure group they belong to.</summary>
    public FailureGroupKey? Group { get; init; }

    /// <summary>True if <paramref name="deadLetter"/> is one this query selects (for transports that filter in memory).</summary>
    public bool Matches(DeadLetter deadLetter)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        var at = deadLetter.DeadLetteredAt;
        return (Endpoint is null || deadLetter.Endpoint == Endpoint)
            && (Reason is null || deadLetter.Reason == Reason)
            && (ExceptionType is null || deadLetter.ExceptionType == ExceptionType)
            && (MessageName is null || deadLetter.Envelope.MessageName == MessageName)
            && (Since is null || at >= Since)
            && (Until is null || at < Until)
            && (Group is null || deadLetter.Group == Group);
    }
}

/// <summary>The dead letters a replay or purge works on: a list of ids, or all that a query selects.</summary>
public sealed record DeadLetterSelection
{
    private DeadLetterSelection(IReadOnlyCollection<string>? ids, DeadLetterQuery? query)
    {
        Ids = ids;
        Query = query;
    }

    /// <summary>The ids, or null for a selection by <see cref="Query"/>.</summary>
    public IReadOnlyCollection<string>? Ids { get; }

    /// <summary>The query, or null for a selection by <see cref="Ids"/>.</summary>
    public DeadLetterQuery? Query { get; }

    /// <summary>The dead letters with these ids (ids of ones already gone are passed over).</summary>
    public static DeadLetterSelection Of(params IReadOnlyCollection<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return new DeadLetterSelection(ids, null);
    }

    /// <summary>Every dead letter <paramref name="query"/> selects.</summary>
    public static DeadLetterSelection Matching(DeadLetterQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new DeadLetterSelection(null, query);
    }
}

/// <summary>Dead letters that failed the same way, as ServicePulse shows them.</summary>
/// <param name="Key">What they share.</param>
/// <param name="Count">How many there are.</param>
/// <param name="First">When the first of them was dead-lettered, if recorded.</param>
/// <param name="Last">When the last of them was dead-lettered, if recorded.</param>
/// <param name="Endpoints">The endpoints they failed on.</param>
public sealed record FailureGroup(FailureGroupKey Key, long Count, DateTimeOffset? First, DateTimeOffset? Last, IReadOnlyList<string> Endpoints)
{
    /// <summary>The group's short id (<see cref="FailureGroupKey.Id"/>), for a command line or a link.</summary>
    public string Id => Key.Id;
}
