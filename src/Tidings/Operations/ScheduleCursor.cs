using System.Globalization;

namespace Tidings.Operations;

/// <summary>The cursor of a page of scheduled messages: the due time (UTC ticks, finer than any store keeps it, so a cursor never falls before its own item) and id of the page's last item.</summary>
public static class ScheduleCursor
{
    /// <summary>The position <paramref name="cursor"/> names (both null for the first page); a malformed one is an <see cref="ArgumentException"/>.</summary>
    public static (DateTimeOffset? DueAt, Guid? Id) Parse(string? cursor)
    {
        if (cursor is null)
        {
            return (null, null);
        }

        var parts = cursor.Split(':');
        return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ticks) && Guid.TryParse(parts[1], out var id)
            && ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? (new DateTimeOffset(ticks, TimeSpan.Zero), id)
            : throw new ArgumentException($"'{cursor}' is not a cursor of scheduled messages.", nameof(cursor));
    }

    /// <summary>The page of at most <paramref name="limit"/> items, given up to one more, which says there is a next page.</summary>
    public static ScheduledPage Page(List<ScheduledSummary> items, int limit)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count <= limit)
        {
            return new ScheduledPage(items, null);
        }

        items.RemoveAt(items.Count - 1);
        var last = items[^1];
        return new ScheduledPage(items, string.Create(CultureInfo.InvariantCulture, $"{last.DueAt.UtcTicks}:{last.Id}"));
    }
}
