namespace Tidings;

/// <summary>A named queue this service reads, and how it reads it.</summary>
public sealed class EndpointOptions
{
    private readonly List<HandlerRegistration> _handlers = [];
    private readonly HashSet<Type> _subscriptions = [];

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

    internal void Validate()
    {
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
