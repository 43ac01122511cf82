namespace Tidings.AspNetCore;

/// <summary>What an accepted request made: its id, and where its status can be read.</summary>
/// <param name="Id">The resource's id (an order's, say).</param>
/// <param name="Location">Where its status is read: the 202's <c>Location</c>.</param>
public sealed record AcceptedResource(string Id, string Location);

/// <summary>The body of a 202 Accepted: what was accepted and where to follow it.</summary>
/// <param name="Id">The resource's id.</param>
/// <param name="Status">Always <c>accepted</c>.</param>
/// <param name="Location">Where its status is read.</param>
public sealed record AcceptedBody(string Id, string Status, string Location);
