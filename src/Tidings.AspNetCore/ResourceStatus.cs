namespace Tidings.AspNetCore;

/// <summary>Where accepted work stands, as its status resource shows it.</summary>
/// <param name="Id">The resource's id.</param>
/// <param name="Status">Its state in the workflow's own words (<c>paid</c>, <c>brewing</c>).</param>
/// <param name="Outcome">Whether the work goes on, is done, or failed.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="Version">Grows with every change: the event id of the change on the live stream.</param>
/// <param name="ResultLocation">Where the result is, once done: the status resource answers 303 See Other to it.</param>
/// <param name="Failure">Why it failed, once failed: the status resource answers with these problem details.</param>
/// <param name="Details">Anything else to show (the state of the saga, say), as JSON.</param>
public sealed record ResourceStatus(
    string Id, string Status, ResourceOutcome Outcome, DateTimeOffset UpdatedAt, long Version,
    string? ResultLocation = null, ResourceFailure? Failure = null, object? Details = null);

/// <summary>Whether accepted work goes on, is done, or failed.</summary>
public enum ResourceOutcome
{
    /// <summary>Still being worked on.</summary>
    InProgress,

    /// <summary>Done; its result is at <see cref="ResourceStatus.ResultLocation"/>.</summary>
    Succeeded,

    /// <summary>It failed; <see cref="ResourceStatus.Failure"/> says why.</summary>
    Failed,
}

/// <summary>Why accepted work failed, as problem details (RFC 9457).</summary>
/// <param name="Title">A short summary (<c>The card was declined.</c>).</param>
/// <param name="Detail">This occurrence's explanation.</param>
/// <param name="Type">A URI naming the kind of failure.</param>
public sealed record ResourceFailure(string Title, string? Detail = null, string? Type = null);
