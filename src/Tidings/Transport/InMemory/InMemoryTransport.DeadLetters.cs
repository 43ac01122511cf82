using System.Globalization;
using Tidings.DeadLetters;

namespace Tidings.Transport.InMemory;

/// <summary>The in-memory transport's dead letters: the entries of its dead-letter queues, filtered in memory.</summary>
public sealed partial class InMemoryTransport : IDeadLetters
{
    /// <inheritdoc />
    /// <remarks>The cursor is an offset: pages of a list that changes between them may skip or repeat a dead letter.</remarks>
    public Task<DeadLetterPage> ListAsync(DeadLetterQuery query, int limit = 50, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var skip = after is null ? 0 : int.Parse(after, NumberStyles.None, CultureInfo.InvariantCulture);
        var selected = Select(query).OrderByDescending(d => d.DeadLetter.DeadLetteredAt).ThenByDescending(d => d.Sequence).ToList();
        var page = selected.Skip(skip).Take(limit).Select(d => d.DeadLetter).ToList();
        var next = skip + page.Count < selected.Count ? (skip + page.Count).ToString(CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new DeadLetterPage(page, next));
    }

    /// <inheritdoc />
    public Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Select(DeadLetterQuery.All).Select(d => d.DeadLetter).FirstOrDefault(d => d.Id == id));

    /// <inheritdoc />
    public Task<long> CountAsync(DeadLetterQuery query, CancellationToken cancellationToken = default) => Task.FromResult((long)Select(query).Count);

    /// <inheritdoc />
    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<FailureGroup> groups = Select(query)
            .Select(d => d.DeadLetter)
            .GroupBy(d => d.Group)
            .Select(g => new FailureGroup(g.Key, g.Count(), g.Min(d => d.DeadLetteredAt), g.Max(d => d.DeadLetteredAt),
                g.Select(d => d.Endpoint!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(g => g.Count)
            .ToList();
        return Task.FromResult(groups);
    }

    /// <inheritdoc />
    public Task<ReplayOutcome> ReplayAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        long replayed = 0, missing = 0;
        foreach (var chosen in Chosen(selection))
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_lock)
            {
                if (!_queues.TryGetValue(chosen.DeadLetter.Endpoint!, out var origin))
                {
                    missing++;
                }
                else if (chosen.Queue.TryTake(chosen.Sequence) is { } envelope)
                {
                    origin.Enqueue(DeadLetterReplay.Prepare(envelope), Time.GetUtcNow());
                    replayed++;
                }
            }
        }

        progress?.Report(replayed);
        return Task.FromResult(new ReplayOutcome(replayed, missing));
    }

    /// <inheritdoc />
    public Task<long> PurgeAsync(DeadLetterSelection selection, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var purged = Chosen(selection).LongCount(chosen => chosen.Queue.TryTake(chosen.Sequence) is not null);
        progress?.Report(purged);
        return Task.FromResult(purged);
    }

    private List<Stored> Chosen(DeadLetterSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (selection.Query is { } query)
        {
            return Select(query);
        }

        var ids = selection.Ids!.ToHashSet(StringComparer.Ordinal);
        return Select(DeadLetterQuery.All).Where(d => ids.Contains(d.DeadLetter.Id)).ToList();
    }

    private List<Stored> Select(DeadLetterQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<(string Endpoint, InMemoryQueue Queue)> queues;
        lock (_lock)
        {
            queues = _queues
                .Where(q => q.Key.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal))
                .Select(q => (q.Key[..^DeadLetterQueues.Suffix.Length], q.Value))
                .Where(q => query.Endpoint is null || q.Item1 == query.Endpoint)
                .ToList();
        }

        return queues
            .SelectMany(q => q.Queue.Snapshot().Select(e => new Stored(
                q.Queue, e.Sequence, new DeadLetter($"{q.Endpoint}/{e.Sequence.ToString(CultureInfo.InvariantCulture)}", q.Endpoint, e.Envelope))))
            .Where(d => query.Matches(d.DeadLetter))
            .ToList();
    }

    private sealed record Stored(InMemoryQueue Queue, long Sequence, DeadLetter DeadLetter);
}
