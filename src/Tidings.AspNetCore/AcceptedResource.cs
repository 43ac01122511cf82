namespace Tidings.AspNetCore;

/// <summary>What an accepted request made: its id, and where its status can be read.</summary>
/// <param name="Id">The resource's id (an order's, say).</param>
/// <param name="Location">Where its status is read: the 202's <c>Location</c>.</param>
public sealed record AcceptedResource(string Id, string Location);

/// <summary>The body of a 202 Accepted: what was accepted and where to follow it.</summary>
/// <param name="Id">The resource's id.</param>
/// <param name="Status">Always <c>accepted</c>.</param>
/// <param name="Location">Where its status is read.</param>
/// <param name="Token">
/// What lets this caller, and no one else, read the status and its events: send it as the <c>Resource-Token</c> header
/// or the <c>token</c> query parameter. Without it the status resource answers 404.
/// </param>
public sealed record AcceptedBody(string Id, string Status, string Location, string Token);
