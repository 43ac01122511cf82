using System.Text.Json;
using Tidings.Stores;

namespace Tidings;

/// <summary>Reads instances through <see cref="ISagaStore.ListAsync"/>; the documents are read without their state's type.</summary>
internal sealed class SagaInspector(ISagaStore store) : ISagaInspector
{
    public async Task<SagaInstancePage> ListAsync(string sagaName, SagaStatus? status = null, string? after = null, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sagaName);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var query = new SagaQuery(status is { } s ? JsonNamingPolicy.KebabCaseLower.ConvertName(s.ToString()) : null, after, limit + 1);
        var rows = await store.ListAsync(sagaName, query, cancellationToken).ConfigureAwait(false);
        var instances = rows.Take(limit).Select(row => Summary(row, Read(row))).ToList();
        return new SagaInstancePage(instances, rows.Count > limit ? instances[^1].CorrelationId : null);
    }

    public async Task<SagaInstanceDetails?> GetAsync(string sagaName, string correlationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sagaName);
        ArgumentException.ThrowIfNullOrEmpty(correlationId);
        var rows = await store.ListAsync(sagaName, new SagaQuery(CorrelationId: correlationId, Limit: 1), cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        var document = Read(rows[0]);
        return new SagaInstanceDetails(
            Summary(rows[0], document),
            document.State.Clone(),
            document.Timeouts.Keys.ToList(),
            document.Compensations.Select(c => c.View()).ToList(),
            document.History,
            document.EarlierEntries);
    }

    public Task<IReadOnlyDictionary<string, long>> GetVersionsAsync(string sagaName, IReadOnlyCollection<string> correlationIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sagaName);
        ArgumentNullException.ThrowIfNull(correlationIds);
        return correlationIds.Count == 0
            ? Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>())
            : store.ReadVersionsAsync(sagaName, correlationIds, cancellationToken);
    }

    private static SagaInstanceSummary Summary(SagaState row, SagaDocument<JsonElementState> document) =>
        new(row.SagaName, row.CorrelationId, document.InstanceId, document.Status, document.StartedAt, document.UpdatedAt);

    private static SagaDocument<JsonElementState> Read(SagaState row) => SagaDocument<JsonElementState>.Read(row.Data);
}

/// <summary>Stands for any saga's state when a document is read without its type: the state stays JSON.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonElementStateConverter))]
internal sealed class JsonElementState
{
    public JsonElement Json { get; init; }

    public JsonElement Clone() => Json.Clone();
}

internal sealed class JsonElementStateConverter : System.Text.Json.Serialization.JsonConverter<JsonElementState>
{
    public override JsonElementState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new() { Json = JsonElement.ParseValue(ref reader) };

    public override void Write(Utf8JsonWriter writer, JsonElementState value, JsonSerializerOptions options) => value.Json.WriteTo(writer);
}
