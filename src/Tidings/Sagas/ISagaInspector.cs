using System.Text.Json;

namespace Tidings;

/// <summary>
/// Reads saga instances for people and tools (a status page, the dashboard): lists a saga's instances by status, and
/// one instance's state and history. Reads only, outside any unit of work, without locks.
/// </summary>
public interface ISagaInspector
{
    /// <summary>
    /// Instances of the saga registered as <paramref name="sagaName"/>, in the order of their correlation ids, a page at
    /// a time: pass the page's <see cref="SagaInstancePage.Next"/> as <paramref name="after"/> for the next one.
    /// </summary>
    Task<SagaInstancePage> ListAsync(string sagaName, SagaStatus? status = null, string? after = null, int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>One instance, with its state and history, or null if there is none (or no longer).</summary>
    Task<SagaInstanceDetails?> GetAsync(string sagaName, string correlationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The stored versions of those of <paramref name="correlationIds"/> that exist: cheap enough to ask several times a
    /// second, to see which instances changed (any process's change shows, since it reads the store). By default, the
    /// length of each instance's history (which grows with every change), one <see cref="GetAsync"/> at a time.
    /// </summary>
    async Task<IReadOnlyDictionary<string, long>> GetVersionsAsync(string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(correlationIds);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in correlationIds)
        {
            if (await GetAsync(sagaName, id, cancellationToken).ConfigureAwait(false) is { } instance)
            {
                versions[id] = instance.EarlierEntries + instance.History.Count;
            }
        }

        return versions;
    }
}

/// <summary>One page of instances.</summary>
/// <param name="Instances">The instances.</param>
/// <param name="Next">What to pass as <c>after</c> for the next page; null when this is the last.</param>
public sealed record SagaInstancePage(IReadOnlyList<SagaInstanceSummary> Instances, string? Next);

/// <summary>An instance at a glance.</summary>
public sealed record SagaInstanceSummary(string SagaName, string CorrelationId, Guid InstanceId, SagaStatus Status, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt);

/// <summary>An instance in full.</summary>
/// <param name="Summary">The instance at a glance.</param>
/// <param name="State">Its state, as stored (JSON).</param>
/// <param name="PendingTimeouts">The names of the timeouts it waits for.</param>
/// <param name="Compensations">The compensations its steps recorded, and which ran.</param>
/// <param name="History">What happened to it, the oldest first (the last 50 entries).</param>
/// <param name="EarlierEntries">How many older entries were dropped to keep the history bounded.</param>
public sealed record SagaInstanceDetails(
    SagaInstanceSummary Summary, JsonElement State, IReadOnlyList<string> PendingTimeouts, IReadOnlyList<SagaCompensation> Compensations,
    IReadOnlyList<SagaHistoryEntry> History, int EarlierEntries);
