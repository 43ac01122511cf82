using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Pipeline;

/// <summary>One received message on its way through the receive pipeline.</summary>
public sealed class ReceiveContext
{
    internal ReceiveContext(ReceivedMessage received, EndpointRuntime endpoint, CancellationToken cancellationToken)
    {
        Received = received;
        Endpoint = endpoint;
        CancellationToken = cancellationToken;
        Settlement = Settlement.Ack(received);
    }

    /// <summary>The message as the transport handed it out.</summary>
    public ReceivedMessage Received { get; }

    /// <summary>The incoming envelope.</summary>
    public Envelope Envelope => Received.Envelope;

    /// <summary>The endpoint's name.</summary>
    public string EndpointName => Endpoint.Options.Name;

    internal EndpointRuntime Endpoint { get; }

    /// <summary>In effectively-once mode, the transaction of the service's own database the whole batch commits in.</summary>
    public StoreTransaction? BatchTransaction { get; internal set; }

    /// <summary>The deserialized message, once the deserialize step ran.</summary>
    public object? Message { get; set; }

    /// <summary>Its type, resolved from the registered name.</summary>
    public Type? MessageType { get; set; }

    /// <summary>Whether the poison checks ran for this delivery (in the pipeline, or ahead of it for a batch).</summary>
    internal bool Prepared { get; set; }

    /// <summary>Why the poison checks refused the message, or null.</summary>
    internal Checks.Refusal? Refusal { get; set; }

    /// <summary>The DI scope of the current attempt.</summary>
    public IServiceProvider? Services { get; set; }

    /// <summary>Messages the handlers published or sent, held until the unit of work completes.</summary>
    public List<OutgoingMessage> Outgoing => _outgoing ??= [];

    private List<OutgoingMessage>? _outgoing;

    /// <summary>True if the handlers staged any message (asking makes no list).</summary>
    internal bool HasOutgoing => _outgoing is { Count: > 0 };

    internal void ClearOutgoing() => _outgoing?.Clear();

    /// <summary>
    /// The batch sends what this message's handlers staged, together with its neighbours' messages, once every handler of
    /// the batch has run (at-least-once): one send for the batch, not one per message.
    /// </summary>
    internal bool BatchSends { get; set; }

    /// <summary>How many handling attempts so far in this delivery.</summary>
    public int Attempts { get; set; }

    /// <summary>What to do with the message after the pipeline: ack unless a step decides otherwise.</summary>
    public Settlement Settlement { get; set; }

    /// <summary>Cancelled when shutdown runs out of patience.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// In an optimistic batch the message has no savepoint of its own: a failure must abort the whole transaction.
    /// </summary>
    internal bool Optimistic { get; set; }

    /// <summary>
    /// Back to the state before the pipeline ran (the batch starts over). The message is deserialized afresh: a handler
    /// of the aborted pass may have changed the object.
    /// </summary>
    internal void Restart()
    {
        Message = null;
        MessageType = null;
        Prepared = false;
        Refusal = null;
        ClearOutgoing();
        Attempts = 0;
        Optimistic = false;
        Services = null;
        Failure = null;
        HandlerFailure = null;
        Runs = CarriedFailure is { } carried ? Runs?.FindAll(r => ReferenceEquals(r.Failure, carried)) : null;
        Settlement = Settlement.Ack(Received);
    }

    /// <summary>Marks the message for the dead-letter queue with <paramref name="reason"/> and, if any, the exception's details.</summary>
    public void DeadLetter(string reason, Exception? exception = null)
    {
        Failure = exception;
        var headers = Envelope.Headers;
        headers[TidingsHeaders.DeadLetterReason] = reason;
        headers[TidingsHeaders.SourceQueue] = EndpointName;
        headers[TidingsHeaders.Attempts] = TotalAttempts().ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers[TidingsHeaders.DeadLetteredAt] = Endpoint.Time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        if (exception is not null)
        {
            headers[TidingsHeaders.ExceptionType] = exception.GetType().FullName ?? exception.GetType().Name;
            headers[TidingsHeaders.ExceptionMessage] = exception.Message;
            headers[TidingsHeaders.ExceptionStackTrace] = exception.ToString();
        }

        Settlement = Settlement.DeadLetter(Received);
    }

    /// <summary>
    /// Attempts over every delivery: earlier redeliveries' attempts plus this delivery's (at least one: a message
    /// refused before its handler ran was still tried once).
    /// </summary>
    internal int TotalAttempts()
    {
        var redeliveries = RedeliveryCount();
        var perDelivery = 1 + Endpoint.Options.Retries.ImmediateRetries;
        return (redeliveries * perDelivery) + Math.Max(1, Attempts);
    }

    /// <summary>
    /// A handler's failure in its batch's optimistic pass, which has no savepoints and so starts the batch over. It
    /// counts as this message's first attempt in the pass with savepoints, which runs the handler again only if the
    /// retry policy has an immediate retry left: a failure is not an extra run of the handler.
    /// </summary>
    internal Exception? CarriedFailure { get; set; }

    /// <summary>What the message's own handler (or saga handler) threw, as opposed to what Tidings or the database did around it.</summary>
    internal Exception? HandlerFailure { get; set; }

    /// <summary>
    /// The handler runs of the pass that settles the message, for whoever watches the host (the test harness): a pass
    /// that starts over is forgotten, except the failed run that counts as the first attempt.
    /// </summary>
    internal List<HandlerRun>? Runs { get; set; }

    /// <summary>The exception behind a redelivery or a dead letter, for whoever watches the host (the test harness).</summary>
    internal Exception? Failure { get; set; }

    /// <summary>Keeps a run of <paramref name="kind"/> <paramref name="handler"/> for <see cref="Runs"/>, if someone watches the host (nothing is made otherwise).</summary>
    internal void RecordRun(WorkTracker? tracker, string handler, Exception? failure, string kind = "")
    {
        if (tracker?.HandlerRan is not null)
        {
            (Runs ??= []).Add(new HandlerRun(EndpointName, kind + handler, Envelope, Message, failure));
        }
    }

    internal int RedeliveryCount() =>
        Envelope.Headers.TryGetValue(TidingsHeaders.Redeliveries, out var value) && int.TryParse(value, out var count) ? count : 0;
}
