namespace Tidings.RabbitMQ.Receiving;

/// <summary>
/// The delivery tags of a channel life not yet acked, in order, so a batch can be acked with one <c>multiple</c> frame
/// when it is everything held up to its highest tag. A sorted list rather than a sorted set: tags come in rising order,
/// so adding appends and the set's node per delivery is not needed; a list of at most the prefetch is cheap to shift.
/// Not thread-safe: the receiver holds its lock.
/// </summary>
internal sealed class UnsettledTags
{
    private readonly List<ulong> _tags = [];

    public int Count => _tags.Count;

    /// <summary>The lowest tag held; only when <see cref="Count"/> is not 0.</summary>
    public ulong Min => _tags[0];

    public void Add(ulong tag)
    {
        if (_tags.Count == 0 || tag > _tags[^1])
        {
            _tags.Add(tag);
            return;
        }

        // Out of order (no broker does it, but nothing is assumed): kept sorted.
        var index = _tags.BinarySearch(tag);
        if (index < 0)
        {
            _tags.Insert(~index, tag);
        }
    }

    public void Remove(ulong tag)
    {
        var index = _tags.Count > 0 && _tags[0] == tag ? 0 : _tags.BinarySearch(tag);
        if (index >= 0)
        {
            _tags.RemoveAt(index);
        }
    }

    public void Clear() => _tags.Clear();
}
