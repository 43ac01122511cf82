using Tidings.Transport;

namespace Tidings;

/// <summary>A compensating action a saga recorded for a step that succeeded, and whether it ran.</summary>
/// <param name="Step">The step it undoes (e.g. <c>charge</c>).</param>
/// <param name="MessageName">The registered name of the message it sends (e.g. a refund).</param>
/// <param name="Destination">The queue (or topic) it goes to.</param>
/// <param name="RecordedAt">When the step recorded it.</param>
/// <param name="SentAt">When it was sent, in the unit of work of the message that compensated; null while it has not run.</param>
/// <param name="Reason">Why the saga compensated; null while it has not run.</param>
public sealed record SagaCompensation(string Step, string MessageName, string Destination, DateTimeOffset RecordedAt, DateTimeOffset? SentAt, string? Reason)
{
    /// <summary>True once the compensating message was sent (exactly once: it left with the state that records it).</summary>
    public bool HasRun => SentAt is not null;
}

/// <summary>A recorded compensation as the instance stores it: the finished message, sent as it is when the saga compensates.</summary>
internal sealed class StoredCompensation
{
    public string Step { get; set; } = "";

    public DestinationKind DestinationKind { get; set; }

    public string Destination { get; set; } = "";

    public Guid MessageId { get; set; }

    public string MessageName { get; set; } = "";

    public string ContentType { get; set; } = "";

    public Dictionary<string, string>? Headers { get; set; }

    public byte[] Body { get; set; } = [];

    public DateTimeOffset RecordedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public string? Reason { get; set; }

    public SagaCompensation View() => new(Step, MessageName, Destination, RecordedAt, SentAt, Reason);
}
