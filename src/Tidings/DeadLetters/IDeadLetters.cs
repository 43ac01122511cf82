namespace Tidings.DeadLetters;

/// <summary>
/// The dead letters of a system's endpoints, as an operator works with them: listed, read, grouped by how they failed,
/// replayed to the queue they failed on, or purged. Every transport offers the same operations: the SQLite bus file and
/// the in-memory transport over their dead-letter queues, RabbitMQ over the service's store, into which it moves what
/// reaches a dead-letter queue (a broker cannot browse a queue without taking its messages: docs/operations.md).
/// </summary>
/// <remarks>
/// A replayed message keeps its message id (an effectively-once endpoint's inbox still knows it), counts the replay
/// (<see cref="TidingsHeaders.ReplayCount"/>) and starts its delivery history anew (<see cref="DeadLetterReplay"/>). If it
/// fails again it is dead-lettered again, the ordinary way. A replay or purge works in batches, each all or nothing, so a
/// replay stopped in the middle (even by a kill) has moved some batches and not others, and running it again finishes
/// it: nothing is lost and nothing is sent twice by the replay itself.
/// </remarks>
public interface IDeadLetters
{
    /// <summary>
    /// One page of the dead letters <paramref name="query"/> selects, newest first: up to <paramref name="limit"/> of them,
    /// after the cursor <paramref name="after"/> (the <see cref="DeadLetterPage.Next"/> of the page before, or null for
    /// the first page).
    /// </summary>
    Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>The dead letter with the id <paramref name="id"/>, or null if there is none (replayed, purged, never was).</summary>
    Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>How many dead letters <paramref name="query"/> selects.</summary>
    Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default);

    /// <summary>The failure groups of the dead letters <paramref name="query"/> selects, the largest first.</summary>
    Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends the selected dead letters back to the queues they failed on and removes them from the dead letters, in
    /// batches of <see cref="DeadLetterBatch.Size"/>; reports the running total to <paramref name="progress"/> after
    /// each batch. Dead letters that fail again while the replay runs are not replayed again by it.
    /// </summary>
    /// <returns>How many were replayed and how many were left because their queue no longer exists.</returns>
    Task<ReplayOutcome> ReplayAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the selected dead letters for good, in batches; reports the running total to <paramref name="progress"/>.</summary>
    /// <returns>How many were deleted.</returns>
    Task<long> PurgeAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>What a replay did.</summary>
/// <param name="Replayed">Dead letters sent back to their queue.</param>
/// <param name="QueueMissing">
/// Dead letters left where they were because the queue they failed on no longer exists, on a transport that can tell
/// (SQLite, in memory). Through a store's outbox (RabbitMQ) it is 0: a message for a queue that is gone is parked in the
/// outbox with its reason, as any send to a missing queue is.
/// </param>
public readonly record struct ReplayOutcome(long Replayed, long QueueMissing);

/// <summary>One page of dead letters.</summary>
/// <param name="Items">The dead letters, newest first.</param>
/// <param name="Next">The cursor of the next page, or null if this is the last.</param>
public sealed record DeadLetterPage(IReadOnlyList<DeadLetter> Items, string? Next);

/// <summary>How many dead letters a replay or purge moves in one transaction.</summary>
public static class DeadLetterBatch
{
    /// <summary>The batch size: large enough to amortise a commit, small enough that a stopped replay redoes little.</summary>
    public const int Size = 500;
}
