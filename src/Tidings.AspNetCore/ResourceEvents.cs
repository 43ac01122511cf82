namespace Tidings.AspNetCore;

/// <summary>
/// Where a live status stream (<see cref="EventEndpoints.MapAcceptedEvents"/>) reads resources and learns that they
/// changed. <see cref="SagaResourceStatus.Events"/> is one over saga instances; write another for any other backing.
/// </summary>
public abstract class ResourceEventSource
{
    /// <summary>
    /// The resource's status and the events it keeps, the oldest first, with ascending ids; null if there is no such
    /// resource (yet, or any more). A stream reads this once per change, however many clients watch the resource.
    /// </summary>
    public abstract Task<ResourceHistory?> ReadAsync(string id, IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>
    /// A stamp for each of <paramref name="ids"/> that exists: any number that changes when the resource does (its
    /// version). Asked of every watched resource together, several times a second (the <c>EventsPollInterval</c>), so
    /// that changes made by other instances of the service show; make it one cheap query.
    /// </summary>
    public abstract Task<IReadOnlyDictionary<string, long>> ReadStampsAsync(IReadOnlyCollection<string> ids, IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>
    /// Optionally, calls <paramref name="changed"/> with a resource's id as soon as this process changes it, so its
    /// watchers need not wait for the next poll; null if the source cannot tell.
    /// </summary>
    public virtual IDisposable? WatchLocalChanges(IServiceProvider services, Action<string> changed) => null;
}

/// <summary>A resource's status and the events it keeps.</summary>
/// <param name="Status">Where it stands now.</param>
/// <param name="Events">What happened to it, the oldest first, with ascending ids (the first may be past 1 when older ones are gone).</param>
public sealed record ResourceHistory(ResourceStatus Status, IReadOnlyList<ResourceEvent> Events);

/// <summary>One event of a resource's live stream.</summary>
/// <param name="Id">Its position in the resource's history: the stream's event id, which <c>Last-Event-ID</c> resumes after.</param>
/// <param name="Type">The stream's event type (<c>update</c>).</param>
/// <param name="Data">Its data, written as JSON.</param>
public sealed record ResourceEvent(long Id, string Type, object? Data);
