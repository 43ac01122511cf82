using System.Data.Common;

namespace Tidings;

/// <summary>
/// A saga handler's view of its instance and of the message it handles. What it sends joins the message's unit of work:
/// it leaves if and only if the instance's new state commits, in the same transaction as the inbox entry.
/// </summary>
/// <typeparam name="TState">The saga's state.</typeparam>
public sealed class SagaContext<TState> : IMessageContext
    where TState : class, new()
{
    private readonly IMessageContext _message;
    private readonly SagaDocument<TState> _document;

    private readonly SagaRegistration _saga;

    internal SagaContext(IMessageContext message, SagaDocument<TState> document, SagaRegistration saga, string correlationId, bool isNew)
    {
        _message = message;
        _document = document;
        _saga = saga;
        SagaName = saga.Name;
        CorrelationId = correlationId;
        IsNew = isNew;
    }

    /// <summary>The instance's state: change it, and the change commits with the message's unit of work.</summary>
    public TState State => _document.State;

    /// <summary>The saga's registered name.</summary>
    public string SagaName { get; }

    /// <summary>The correlation id that names the instance.</summary>
    public string CorrelationId { get; }

    /// <summary>The instance's own id: a new instance for the same correlation id (after one completed) has a new one.</summary>
    public Guid InstanceId => _document.InstanceId;

    /// <summary>True if this message started the instance.</summary>
    public bool IsNew { get; }

    /// <summary>True once <see cref="Complete"/> was called.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>
    /// Ends the instance when the message's unit of work commits: it is removed, or kept as completed if the saga keeps
    /// completed instances. Later messages for it meet the saga's policy for a missing instance.
    /// </summary>
    public void Complete() => IsCompleted = true;

    /// <summary>
    /// Asks for <paramref name="message"/> to come back to this instance after <paramref name="delay"/> (by the service's
    /// <see cref="TimeProvider"/>), unless cancelled first; the saga handles it with the handler it declared with
    /// <c>OnTimeout</c>. Kept durably in the service's database with the instance's state. Asking again under the same
    /// <paramref name="name"/> replaces the earlier one, so a redelivery or a restart never leaves two. A timeout that
    /// comes after the instance completed is dropped quietly.
    /// </summary>
    public void RequestTimeout<T>(string name, TimeSpan delay, T message)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(message);
        if (!_saga.Definition.Bindings.Any(b => b.IsTimeout && b.MessageType == typeof(T)))
        {
            throw new InvalidOperationException(
                $"Saga {SagaName} asked for a timeout of {typeof(T).Name}, which it does not handle as one: declare OnTimeout<{typeof(T).Name}>(...) in its constructor.");
        }

        CancelledTimeouts.Remove(name);
        RequestedTimeouts.RemoveAll(t => t.Name == name);
        RequestedTimeouts.Add(new RequestedTimeout(name, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, message, typeof(T)));
    }

    /// <summary>Cancels the timeout asked for under <paramref name="name"/>, if one is pending: it never fires.</summary>
    public void CancelTimeout(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        RequestedTimeouts.RemoveAll(t => t.Name == name);
        if (!CancelledTimeouts.Contains(name))
        {
            CancelledTimeouts.Add(name);
        }
    }

    /// <summary>
    /// Records how to undo a step that succeeded: <paramref name="message"/> (a refund, say) is sent to
    /// <paramref name="destination"/> if the saga later compensates. It is stored with the instance's state, as the
    /// finished message with its id, so that it is sent exactly once, whatever is redelivered.
    /// </summary>
    public void AddCompensation<T>(string step, string destination, T message)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        ArgumentNullException.ThrowIfNull(message);
        RecordedCompensations.Add(new RequestedCompensation(step, destination, message, typeof(T)));
    }

    /// <summary>
    /// Undoes the steps that succeeded: when the message's unit of work commits, every recorded compensation not run
    /// yet is sent, the latest first, each exactly once (in the same transaction as the state that marks it run). Call
    /// it when a later step fails, is declined or times out; complete the instance when it is over.
    /// </summary>
    public void Compensate(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        CompensationReason = reason;
    }

    /// <summary>The compensations recorded so far (before this message's), and whether each has run.</summary>
    public IReadOnlyList<SagaCompensation> Compensations => _document.Compensations.Select(c => c.View()).ToList();

    internal List<RequestedCompensation> RecordedCompensations { get; } = [];

    internal string? CompensationReason { get; private set; }

    /// <summary>The names of the timeouts pending for this instance (asked for, not yet fired or cancelled).</summary>
    public IReadOnlyCollection<string> PendingTimeouts => _document.Timeouts.Keys;

    internal List<RequestedTimeout> RequestedTimeouts { get; } = [];

    internal List<string> CancelledTimeouts { get; } = [];

    /// <inheritdoc />
    public Envelope Envelope => _message.Envelope;

    /// <inheritdoc />
    public string Endpoint => _message.Endpoint;

    /// <inheritdoc />
    public int DeliveryCount => _message.DeliveryCount;

    /// <inheritdoc />
    public IServiceProvider Services => _message.Services;

    /// <inheritdoc />
    public DbTransaction? Transaction => _message.Transaction;

    /// <inheritdoc />
    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => _message.PublishAsync(message, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => _message.SendAsync(destination, message, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask ReplyAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => _message.ReplyAsync(message, options, cancellationToken);
}

/// <summary>A timeout a handler asked for, applied when the handler returns.</summary>
internal sealed record RequestedTimeout(string Name, TimeSpan Delay, object Message, Type MessageType);

/// <summary>A compensation a handler recorded, applied when the handler returns.</summary>
internal sealed record RequestedCompensation(string Step, string Destination, object Message, Type MessageType);
