using System.Diagnostics.CodeAnalysis;

namespace Tidings;

/// <summary>
/// A message as it travels: identity, correlation, trace context and a serialized body.
/// Transports carry envelopes; handlers see the deserialized message and this metadata.
/// </summary>
public sealed class Envelope
{
    /// <summary>Unique id of this message (a UUIDv7, so ids sort by creation time).</summary>
    public required Guid MessageId { get; init; }

    /// <summary>The registered name of the message type.</summary>
    public required string MessageName { get; init; }

    /// <summary>
    /// Ties together every message of one conversation (an order, a saga). A message that starts a conversation
    /// correlates with itself: unless one is given, this is the message's own id, which transports and stores then need
    /// not carry (see <see cref="CorrelationIdToCarry"/>).
    /// </summary>
    [AllowNull]
    public string CorrelationId
    {
        // The text of the id is made only when asked for: most first messages are never asked.
        get => _correlationId ?? (_ownIdText ??= MessageId.ToString());
        init => _correlationId = value;
    }

    /// <summary>
    /// The correlation id to carry on the wire or in a row: null when none was given and the message correlates with its
    /// own id. An envelope read back with none has the same <see cref="CorrelationId"/>.
    /// </summary>
    public string? CorrelationIdToCarry => _correlationId;

    private string? _correlationId;
    private string? _ownIdText;

    /// <summary>The id of the message whose handling caused this one.</summary>
    public string? CausationId { get; init; }

    /// <summary>When the message was created.</summary>
    public DateTimeOffset SentAt { get; init; }

    /// <summary>The body's media type.</summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>
    /// Further headers: trace context (<c>traceparent</c>), reply address, retry and error details. Made on first use when
    /// none were given (null given means none).
    /// </summary>
    [AllowNull]
    public Dictionary<string, string> Headers
    {
        // Made on first use: an envelope built with its headers (every received one) allocates no throw-away dictionary.
        get => _headers ??= new Dictionary<string, string>(StringComparer.Ordinal);
        init => _headers = value;
    }

    private Dictionary<string, string>? _headers;

    /// <summary>True if the envelope has any header; unlike reading <see cref="Headers"/>, asking makes no dictionary.</summary>
    public bool HasHeaders => _headers is { Count: > 0 };

    /// <summary>The serialized message.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Creates a fresh time-ordered message id.</summary>
    public static Guid NewMessageId() => Guid.CreateVersion7();
}
