namespace Tidings;

/// <summary>A named queue this service reads, and how it reads it.</summary>
public sealed class EndpointOptions
{
    private readonly List<HandlerRegistration> _handlers = [];
    private readonly HashSet<Type> _subscriptions = [];
    private readonly List<SagaRegistration> _sagas = [];

    internal EndpointOptions(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The endpoint's name, which is its queue's name.</summary>
    public string Name { get; }

    /// <summary>How many batches are handled in parallel by this process. Default 4.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>How many messages one worker takes from the queue at once. In flight at most Concurrency × Prefetch. Default 32.</summary>
    public int Prefetch { get; set; } = 32;

    /// <summary>The delivery promise. Default <see cref="DeliveryMode.AtLeastOnce"/>.</summary>
    public DeliveryMode DeliveryMode { get; set; } = DeliveryMode.AtLeastOnce;

    /// <summary>Retries, redeliveries and dead-lettering.</summary>
    public RetryPolicy Retries { get; set; } = RetryPolicy.Default;

    /// <summary>How long a taken message stays hidden from other consumers; renewed while a handler runs. Default 30 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    internal IReadOnlyList<HandlerRegistration> Handlers => _handlers;

    internal IReadOnlyCollection<Type> Subscriptions => _subscriptions;

    internal IReadOnlyList<SagaRegistration> Sagas => _sagas;

    /// <summary>
    /// Handles <typeparamref name="TMessage"/> with <typeparamref name="THandler"/> (resolved in a DI scope per message)
    /// and subscribes the endpoint to it, so published events of that type reach this queue.
    /// </summary>
    public EndpointOptions Handle<TMessage, THandler>()
        where TMessage : notnull
        where THandler : class, IHandleMessages<TMessage>
    {
        _handlers.Add(new HandlerRegistration(typeof(TMessage), typeof(THandler), new HandlerInvoker<TMessage>(typeof(THandler))));
        _subscriptions.Add(typeof(TMessage));
        return this;
    }

    /// <summary>
    /// Runs the saga <typeparamref name="TSaga"/> on this endpoint, which must be effectively-once: its instances' state
    /// commits with the inbox entry and the outgoing messages. <paramref name="name"/> keys its stored instances (a
    /// storage contract, like a message name: renaming it orphans them). The endpoint subscribes to every message the
    /// saga takes.
    /// </summary>
    public EndpointOptions Saga<TSaga>(string name, Action<SagaOptions>? configure = null)
        where TSaga : Saga, new()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_sagas.Any(s => s.Name == name))
        {
            throw new InvalidOperationException($"Endpoint '{Name}' has a saga named '{name}' already.");
        }

        var options = new SagaOptions();
        configure?.Invoke(options);
        var saga = Create<TSaga>();
        if (saga.Bindings.Count == 0 || !saga.Bindings.Any(b => b.Starts))
        {
            throw new InvalidOperationException(
                $"Saga {typeof(TSaga).Name} ('{name}') declares no message that starts it: call StartedBy<TMessage>(...) in its constructor.");
        }

        _sagas.Add(new SagaRegistration(name, saga, options));
        foreach (var binding in saga.Bindings)
        {
            _subscriptions.Add(binding.MessageType);
        }

        return this;
    }

    /// <summary>The saga's definition; an error in its constructor (a message declared twice) surfaces as itself.</summary>
    private static TSaga Create<TSaga>()
        where TSaga : Saga, new()
    {
        try
        {
            return new TSaga();
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    internal void Validate()
    {
        if (_sagas.Count > 0 && DeliveryMode != DeliveryMode.EffectivelyOnce)
        {
            throw new InvalidOperationException(
                $"Endpoint '{Name}' runs saga '{_sagas[0].Name}' but is {DeliveryMode}: sagas run only on effectively-once endpoints, " +
                "where an instance's state commits with the inbox entry and the messages it sends. Set DeliveryMode = DeliveryMode.EffectivelyOnce.");
        }

        if (Concurrency < 1 || Prefetch < 1)
        {
            throw new InvalidOperationException($"Endpoint '{Name}': Concurrency and Prefetch must be at least 1.");
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"Endpoint '{Name}': LeaseDuration must be at least 1 second.");
        }
    }
}
