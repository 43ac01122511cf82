using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Tidings.Transport;

namespace Tidings.Operations;

/// <summary>Messages of one name a service sent from one place to one destination, counted since it started.</summary>
/// <param name="Origin">The endpoint whose handler or saga sent them; null for sends from outside a handler (the service itself).</param>
/// <param name="MessageName">The messages' name.</param>
/// <param name="Destination">The queue or topic they went to.</param>
/// <param name="ToTopic">Whether <paramref name="Destination"/> is a topic (published) rather than a queue (sent).</param>
/// <param name="Count">How many.</param>
public sealed record FlowSend(string? Origin, string MessageName, string Destination, bool ToTopic, long Count);

/// <summary>Messages of one name an endpoint of a service received, counted since it started.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="MessageName">The messages' name.</param>
/// <param name="Count">How many.</param>
public sealed record FlowReceipt(string Endpoint, string MessageName, long Count);

/// <summary>
/// What one service sent and received, by message name, as its statistics sampler publishes it every
/// <see cref="TidingsOptions.StatisticsInterval"/> to the topic <see cref="Topic"/>: the edges of a dashboard's map
/// of the system. Counts are totals since the service started; a rate is the difference of two reports.
/// </summary>
/// <param name="Service">The service's name (<see cref="TidingsOptions.ServiceName"/>).</param>
/// <param name="Instance">This process among the service's instances, so that two instances' totals are not taken for one.</param>
/// <param name="Endpoints">The service's endpoints.</param>
/// <param name="Sent">What it sent.</param>
/// <param name="Received">What its endpoints received.</param>
/// <param name="At">When the counts were read.</param>
public sealed record FlowReport(
    string Service, string Instance, IReadOnlyList<string> Endpoints, IReadOnlyList<FlowSend> Sent, IReadOnlyList<FlowReceipt> Received, DateTimeOffset At)
{
    /// <summary>The topic the reports are published to, and their message name.</summary>
    public const string Topic = "tidings.flow-report";
}

/// <summary>How flow reports are written on the wire: camelCase JSON, as a dashboard reads them.</summary>
public static class FlowJson
{
    /// <summary>The serializer options of <see cref="FlowReport"/>.</summary>
    public static System.Text.Json.JsonSerializerOptions Options { get; } = new(System.Text.Json.JsonSerializerDefaults.Web);
}

/// <summary>
/// Counts, per host, what its pipelines send and receive by message name: a lookup in a dictionary that stops growing
/// once every (origin, name, destination) has been seen, and an interlocked increment.
/// </summary>
internal sealed class FlowRecorder
{
    private readonly ConcurrentDictionary<(string? Origin, string Name, string Destination, bool Topic), StrongBox<long>> _sent = new();
    private readonly ConcurrentDictionary<string, Receipts> _received = new(StringComparer.Ordinal);

    /// <summary>Where replies go, for the map: one place, not a queue per requesting process.</summary>
    public const string Replies = "(replies)";

    public void Sent(string? origin, string messageName, Destination destination)
    {
        var name = destination.Kind == DestinationKind.Queue && destination.Name.StartsWith("tidings.replies.", StringComparison.Ordinal) ? Replies : destination.Name;
        var key = (origin, messageName, name, destination.Kind == DestinationKind.Topic);
        var count = _sent.TryGetValue(key, out var found) ? found : _sent.GetOrAdd(key, _ => new StrongBox<long>());
        Interlocked.Increment(ref count.Value);
    }

    /// <summary>The counts of one endpoint's receive pipeline, which then looks up by message name alone.</summary>
    public Receipts For(string endpoint) => _received.GetOrAdd(endpoint, _ => new Receipts());

    public (IReadOnlyList<FlowSend> Sent, IReadOnlyList<FlowReceipt> Received) Read() => (
        [.. _sent.Select(e => new FlowSend(e.Key.Origin, e.Key.Name, e.Key.Destination, e.Key.Topic, Interlocked.Read(ref e.Value.Value)))],
        [.. _received.SelectMany(e => e.Value.Read(e.Key))]);

    /// <summary>What one endpoint received, by message name.</summary>
    internal sealed class Receipts
    {
        private readonly ConcurrentDictionary<string, StrongBox<long>> _byName = new(StringComparer.Ordinal);

        public void Add(string messageName)
        {
            var count = _byName.TryGetValue(messageName, out var found) ? found : _byName.GetOrAdd(messageName, _ => new StrongBox<long>());
            Interlocked.Increment(ref count.Value);
        }

        public IEnumerable<FlowReceipt> Read(string endpoint) =>
            _byName.Select(e => new FlowReceipt(endpoint, e.Key, Interlocked.Read(ref e.Value.Value)));
    }
}
