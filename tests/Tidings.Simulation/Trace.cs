using System.Text.Json;

namespace Tidings.Simulation;

/// <summary>What a run did, step by step, in words that do not depend on random ids: two runs of one seed give equal traces.</summary>
internal sealed class Trace(TimeProvider time, DateTimeOffset start)
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Set (by <c>--trace</c>) to see each line as it happens, so that a run that hangs shows where.</summary>
    public static TextWriter? Echo { get; set; }

    public void Add(string line)
    {
        var stamped = $"{(time.GetUtcNow() - start).TotalSeconds,8:F1}s {line}";
        _lines.Add(stamped);
        Echo?.WriteLine(stamped);
    }

    /// <summary>A message by name and order, e.g. <c>order-placed o-2</c>.</summary>
    public static string Label(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var name = envelope.MessageName.Replace("coffeeshop.", "", StringComparison.Ordinal);
        try
        {
            using var body = JsonDocument.Parse(envelope.Body);
            return body.RootElement.TryGetProperty("orderId", out var order) ? $"{name} {order.GetString()}" : name;
        }
        catch (JsonException)
        {
            return name;
        }
    }
}
