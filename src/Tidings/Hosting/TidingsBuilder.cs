using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tidings.Stores;
using Tidings.Transport;
using Tidings.Transport.InMemory;

namespace Tidings;

/// <summary>Configures Tidings inside <see cref="TidingsServiceCollectionExtensions.AddTidings"/>. Methods chain.</summary>
public sealed class TidingsBuilder
{
    internal TidingsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, for transport and store packages.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The bus-wide options.</summary>
    public TidingsOptions Options { get; } = new();

    internal bool HasTransport { get; private set; }

    internal bool HasStore { get; private set; }

    /// <summary>Changes bus-wide options.</summary>
    public TidingsBuilder Configure(Action<TidingsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(Options);
        return this;
    }

    /// <summary>Registers a message type under a name (or its <see cref="MessageNameAttribute"/>).</summary>
    public TidingsBuilder AddMessage<T>(string? name = null)
    {
        Options.Registry.Register<T>(name);
        return this;
    }

    /// <summary>Uses <paramref name="factory"/>'s transport (transport packages call this).</summary>
    public TidingsBuilder UseTransport(Func<IServiceProvider, ITransport> factory)
    {
        Services.RemoveAll<ITransport>();
        Services.AddSingleton(factory);
        HasTransport = true;
        return this;
    }

    /// <summary>Uses an in-process transport; pass one instance to several hosts to connect them in a test.</summary>
    public TidingsBuilder UseInMemoryTransport(InMemoryTransport? transport = null)
    {
        transport ??= new InMemoryTransport();
        return UseTransport(_ => transport);
    }

    /// <summary>
    /// Uses the service's own database for the outbox and inbox (store packages call this). Enables effectively-once
    /// endpoints, <see cref="ITransactionalSessionFactory"/> and the outbox relay.
    /// </summary>
    public TidingsBuilder UseStore(
        Func<IServiceProvider, ITransactionalStore> store, Func<IServiceProvider, IOutboxStore> outbox, Func<IServiceProvider, IInboxStore> inbox)
    {
        Services.RemoveAll<ITransactionalStore>();
        Services.RemoveAll<IOutboxStore>();
        Services.RemoveAll<IInboxStore>();
        Services.AddSingleton(store);
        Services.AddSingleton(outbox);
        Services.AddSingleton(inbox);
        HasStore = true;
        return this;
    }

    /// <summary>Adds an endpoint: a queue named <paramref name="name"/> this service reads, with its handlers.</summary>
    public TidingsBuilder AddEndpoint(string name, Action<EndpointOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(Options.AddEndpoint(name));
        return this;
    }
}
