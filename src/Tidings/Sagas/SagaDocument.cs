using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tidings;

/// <summary>
/// What is stored for one saga instance, as JSON: the user's state and Tidings' own bookkeeping beside it. Unknown
/// properties are ignored and missing ones take their defaults, so a state class that gained a property reads the
/// instances stored before.
/// </summary>
internal sealed class SagaDocument<TState>
    where TState : class, new()
{
    /// <summary>How many history entries an instance keeps; older ones are counted, not kept.</summary>
    public const int HistoryLimit = 50;

    public Guid InstanceId { get; set; }

    public SagaStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public TState State { get; set; } = new();

    /// <summary>The timeouts asked for and not yet fired or cancelled: their names and schedule ids.</summary>
    public Dictionary<string, Guid> Timeouts { get; set; } = [];

    /// <summary>The compensations recorded, in the order their steps succeeded.</summary>
    public List<StoredCompensation> Compensations { get; set; } = [];

    public List<SagaHistoryEntry> History { get; set; } = [];

    /// <summary>History entries dropped to keep the history bounded.</summary>
    public int EarlierEntries { get; set; }

    public static SagaDocument<TState> Start(Guid instanceId, DateTimeOffset now) => new() { InstanceId = instanceId, StartedAt = now, UpdatedAt = now };

    public static SagaDocument<TState> Read(string json) =>
        JsonSerializer.Deserialize<SagaDocument<TState>>(json, SagaJson.Options) ?? throw new JsonException("A saga instance was stored as null.");

    public string Write() => JsonSerializer.Serialize(this, SagaJson.Options);

    public void Record(SagaHistoryEntry entry)
    {
        History.Add(entry);
        if (History.Count > HistoryLimit)
        {
            var excess = History.Count - HistoryLimit;
            History.RemoveRange(0, excess);
            EarlierEntries += excess;
        }
    }
}

/// <summary>One thing that happened to a saga instance.</summary>
/// <param name="At">When (the handling service's clock).</param>
/// <param name="Kind">
/// What: <c>started</c>, <c>handled</c>, <c>completed</c>, <c>timeout-requested</c>, <c>timeout-cancelled</c>,
/// <c>timeout</c> (one fired and was handled), <c>compensation-recorded</c>, <c>compensated</c> (one compensation sent).
/// </param>
/// <param name="MessageName">The registered name of the message concerned.</param>
/// <param name="MessageId">Its id (for a timeout requested or cancelled, the message being handled then).</param>
/// <param name="Detail">The timeout's name or the compensated step, where it concerns one.</param>
public sealed record SagaHistoryEntry(DateTimeOffset At, string Kind, string MessageName, Guid MessageId, string? Detail = null);

internal static class SagaJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}
