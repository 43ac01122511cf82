namespace Tidings;

/// <summary>
/// A saga: a conversation across services that ends well or is undone, with its state in the service's own database.
/// Not derived from directly: derive from <see cref="Saga{TState}"/>.
/// </summary>
public abstract class Saga
{
    private protected Saga()
    {
    }

    internal abstract IReadOnlyList<SagaBinding> Bindings { get; }

    internal abstract Type StateType { get; }
}

/// <summary>
/// A saga (process manager) whose instances keep a <typeparamref name="TState"/> in the service's own database. In the
/// constructor, declare each message it takes: how the message finds its instance (a correlation id read from the
/// message) and what it does. One object of the class serves every message and instance; a handler reaches its
/// instance's state and the services of its message's scope through the <see cref="SagaContext{TState}"/>.
/// </summary>
/// <typeparam name="TState">A plain class: stored as JSON, so adding a property leaves instances already stored readable.</typeparam>
public abstract class Saga<TState> : Saga
    where TState : class, new()
{
    private readonly List<SagaBinding> _bindings = [];

    internal override IReadOnlyList<SagaBinding> Bindings => _bindings;

    internal override Type StateType => typeof(TState);

    /// <summary>
    /// <typeparamref name="TMessage"/> starts an instance when none exists for its correlation id, and is handled by the
    /// instance when one does. Declare as a starter every message that may arrive first.
    /// </summary>
    /// <param name="correlate">The correlation id the message carries, which names its instance.</param>
    /// <param name="handle">What the message does to the instance.</param>
    protected void StartedBy<TMessage>(Func<TMessage, string> correlate, Func<TMessage, SagaContext<TState>, Task> handle)
        where TMessage : notnull =>
        Add(new SagaBinding<TState, TMessage>(correlate, handle, starts: true, SagaMissing.DeadLetter, null));

    /// <summary>
    /// <typeparamref name="TMessage"/> is handled by an existing instance. One for an instance that does not exist (or
    /// no longer) is retried like a failure (its starter may be in flight on another worker) and then dead-lettered with
    /// the reason <c>saga-not-found</c>, unless <paramref name="whenMissing"/> says otherwise: it is never dropped
    /// silently by default.
    /// </summary>
    protected void Handles<TMessage>(Func<TMessage, string> correlate, Func<TMessage, SagaContext<TState>, Task> handle, SagaMissing whenMissing = SagaMissing.DeadLetter)
        where TMessage : notnull
    {
        if (whenMissing == SagaMissing.Custom)
        {
            throw new ArgumentException("SagaMissing.Custom needs its handler: pass the handler for a missing instance instead.", nameof(whenMissing));
        }

        Add(new SagaBinding<TState, TMessage>(correlate, handle, starts: false, whenMissing, null));
    }

    /// <summary>
    /// <typeparamref name="TMessage"/> is handled by an existing instance; for one that does not exist,
    /// <paramref name="whenMissing"/> runs instead (in the message's unit of work: it may send, or write through the
    /// transaction).
    /// </summary>
    protected void Handles<TMessage>(Func<TMessage, string> correlate, Func<TMessage, SagaContext<TState>, Task> handle, Func<TMessage, IMessageContext, Task> whenMissing)
        where TMessage : notnull
    {
        ArgumentNullException.ThrowIfNull(whenMissing);
        Add(new SagaBinding<TState, TMessage>(correlate, handle, starts: false, SagaMissing.Custom, whenMissing));
    }

    /// <summary>
    /// <typeparamref name="TMessage"/> is a timeout this saga asks for with <see cref="SagaContext{TState}.RequestTimeout"/>:
    /// it finds its instance by itself (no correlation property). One for an instance that completed, or that asked for
    /// it again or cancelled it since, is dropped quietly.
    /// </summary>
    protected void OnTimeout<TMessage>(Func<TMessage, SagaContext<TState>, Task> handle)
        where TMessage : notnull =>
        Add(new SagaBinding<TState, TMessage>(null, handle, starts: false, SagaMissing.IgnoreAndLog, null));

    private void Add(SagaBinding binding)
    {
        if (_bindings.Any(b => b.MessageType == binding.MessageType))
        {
            throw new InvalidOperationException($"{GetType().Name} declares {binding.MessageType.Name} twice; declare each message once.");
        }

        _bindings.Add(binding);
    }
}

/// <summary>What a saga does with a message for an instance that does not exist.</summary>
public enum SagaMissing
{
    /// <summary>
    /// Retry it like a failure (its starter may be in flight), then dead-letter it with the reason <c>saga-not-found</c>
    /// (the default: nothing is dropped silently).
    /// </summary>
    DeadLetter,

    /// <summary>Drop it, with a log line (information level).</summary>
    IgnoreAndLog,

    /// <summary>Run the handler given with it.</summary>
    Custom,
}
