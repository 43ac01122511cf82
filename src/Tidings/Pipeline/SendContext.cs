using Tidings.Transport;

namespace Tidings.Pipeline;

/// <summary>One message on its way out, as the send pipeline builds it.</summary>
public sealed class SendContext
{
    internal SendContext(object message, Type messageType, string? queue, SendOptions? options, Envelope? incoming,
        IOutgoingDispatcher dispatcher, CancellationToken cancellationToken)
    {
        Message = message;
        MessageType = messageType;
        Queue = queue;
        Options = options;
        Incoming = incoming;
        Dispatcher = dispatcher;
        CancellationToken = cancellationToken;
    }

    /// <summary>The message.</summary>
    public object Message { get; }

    /// <summary>The type it is sent as.</summary>
    public Type MessageType { get; }

    /// <summary>The target queue of a send; null for a publish.</summary>
    public string? Queue { get; }

    /// <summary>The caller's options.</summary>
    public SendOptions? Options { get; }

    /// <summary>The message being handled when this one was sent, if any (for correlation and causation).</summary>
    public Envelope? Incoming { get; }

    /// <summary>The endpoint whose handler (or saga) sends this message; null outside a handler.</summary>
    internal string? Origin { get; init; }

    /// <summary>The registered name, set by the serialize step.</summary>
    public string? MessageName { get; set; }

    /// <summary>The headers being built before the envelope exists (made on first use); after the serialize step, the envelope's.</summary>
    public Dictionary<string, string> Headers => Outgoing is { } outgoing ? outgoing.Envelope.Headers : _headers ??= new(StringComparer.Ordinal);

    /// <summary>The headers, or null if no step added any: the envelope then makes none until it is asked.</summary>
    internal Dictionary<string, string>? HeadersIfAny => _headers;

    private Dictionary<string, string>? _headers;

    /// <summary>The finished message, set by the serialize step.</summary>
    public OutgoingMessage? Outgoing { get; set; }

    /// <summary>Where the finished message goes: the transport, a unit of work, an outbox session.</summary>
    public IOutgoingDispatcher Dispatcher { get; }

    /// <summary>Cancels the send.</summary>
    public CancellationToken CancellationToken { get; }
}

/// <summary>Takes a finished outgoing message: straight to the transport, or into a unit of work.</summary>
public interface IOutgoingDispatcher
{
    /// <summary>Dispatches one message.</summary>
    ValueTask DispatchAsync(OutgoingMessage message, CancellationToken cancellationToken);
}
