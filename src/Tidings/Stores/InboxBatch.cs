namespace Tidings.Stores;

/// <summary>
/// The inbox entries of an optimistic effectively-once batch, held in memory until the batch commits. The ids the inbox
/// already holds were looked up once for the whole batch; those the batch handles are recorded with one statement before
/// the commit. If another instance recorded one of them meanwhile, the commit is refused and the batch starts over,
/// recording message by message.
/// </summary>
internal sealed class InboxBatch(string endpoint, IReadOnlySet<Guid> alreadyRecorded)
{
    private readonly HashSet<Guid> _handled = [];

    public string Endpoint { get; } = endpoint;

    /// <summary>The ids to record, in the order they were handled.</summary>
    public List<Guid> Handled { get; } = [];

    /// <summary>
    /// False for a duplicate: recorded before this batch, or already handled earlier in it. With
    /// <paramref name="recordBeforeCommit"/> false the caller records the id itself, at once.
    /// </summary>
    public bool TryAdd(Guid messageId, bool recordBeforeCommit = true)
    {
        if (alreadyRecorded.Contains(messageId) || !_handled.Add(messageId))
        {
            return false;
        }

        if (recordBeforeCommit)
        {
            Handled.Add(messageId);
        }

        return true;
    }
}
