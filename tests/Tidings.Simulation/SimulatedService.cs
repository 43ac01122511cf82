using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tidings.Endpoints.Batches;
using Tidings.Pipeline;
using Tidings.Sqlite;
using Tidings.Stores;
using Tidings.Testing;
using Tidings.Transport;
using Tidings.Transport.InMemory;

namespace Tidings.Simulation;

/// <summary>
/// One service of the simulated system: Tidings' own parts (endpoints, batch strategies, outbox dispatcher and relay,
/// schedule relay) built from the service's registration, none of them started: the simulation drives each one step at
/// a time. A crash throws the process away (its memory: claims, sends under way, leases it held); a restart builds it
/// again on the same database and broker.
/// </summary>
internal sealed class SimulatedService : IAsyncDisposable
{
    private readonly Action<TidingsBuilder> _configure;
    private readonly InMemoryTransport _broker;
    private readonly Faults _faults;
    private readonly Trace _trace;
    private readonly TimeProvider _time;
    private readonly InMemoryStoreFiles _files;
    private readonly bool _ownsFiles;
    private readonly List<Endpoint> _endpoints = [];
    private ServiceProvider? _provider;

    /// <summary>An instance <paramref name="name"/>; with <paramref name="sibling"/>, another instance of the same service, on its database.</summary>
    public SimulatedService(string name, Action<TidingsBuilder> configure, InMemoryTransport broker, Faults faults, Trace trace, TimeProvider time, SimulatedService? sibling = null)
    {
        Name = name;
        (_files, _ownsFiles) = sibling is null ? (new InMemoryStoreFiles(), true) : (sibling._files, false);
        _configure = configure;
        _broker = broker;
        _faults = faults;
        _trace = trace;
        _time = time;
    }

    public string Name { get; }

    /// <summary>Set by a fault: from then on the process does nothing more (every call of it to the broker fails).</summary>
    public bool Crashed { get; set; }

    /// <summary>Up: built and not crashed.</summary>
    public bool Up => _provider is not null && !Crashed;

    public IServiceProvider Services => _provider ?? throw new InvalidOperationException($"{Name} is down.");

    public IReadOnlyList<Endpoint> Endpoints => _endpoints;

    public SqliteStore Store => Services.GetRequiredService<SqliteStore>();

    internal OutboxDispatcher Dispatcher => Services.GetRequiredService<OutboxDispatcher>();

    internal OutboxRelay Relay => Services.GetServices<IHostedService>().OfType<OutboxRelay>().Single();

    internal ScheduleRelay Schedules => Services.GetServices<IHostedService>().OfType<ScheduleRelay>().Single();

    public async Task StartAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(_time);

        // The handlers crash the instance that runs them.
        services.AddSingleton(this);
        services.AddSingleton<IHostApplicationLifetime, NoLifetime>();
        var faulty = new FaultyTransport(_broker, this, _faults, _trace, _time);
        services.AddTidings(t =>
        {
            _configure(t);
            t.UseTransport(_ => faulty).UseInMemoryStore(_files, keep: true);
            t.Options.ServiceName = Name;
        });
        var store = services.Last(d => d.ServiceType == typeof(ITransactionalStore));
        services.Remove(store);
        services.AddSingleton<ITransactionalStore>(sp => new CrashableStore((ITransactionalStore)store.ImplementationFactory!(sp), this));
        _provider = services.BuildServiceProvider();
        Crashed = false;
        Store.EnsureCreated();

        var options = Services.GetRequiredService<TidingsOptions>();
        var runtime = Services.GetRequiredService<Tidings.BusRuntime>();
        foreach (var endpointOptions in options.Endpoints)
        {
            var topics = endpointOptions.Subscriptions.Select(options.Registry.GetName).ToArray();
            await _broker.DeclareAsync(new QueueDeclaration(endpointOptions.Name, topics));
            var endpoint = new EndpointRuntime(endpointOptions, Pipelines.Checks(options), _time,
                e => Pipelines.Receive(e, options, faulty, runtime.SendPipeline, Services));
            var receiver = faulty.CreateReceiver(endpointOptions.Name, new ReceiverSettings(endpointOptions.LeaseDuration, endpointOptions.Prefetch));
            _endpoints.Add(new Endpoint(endpointOptions.Name, endpoint, receiver, Pipelines.Batch(endpoint, receiver, Services, NullLogger.Instance)));
        }
    }

    /// <summary>Throws the process away: what it held in memory is gone; its database and the broker's queues stay.</summary>
    public async Task TearDownAsync()
    {
        foreach (var endpoint in _endpoints)
        {
            await endpoint.Receiver.DisposeAsync();
        }

        _endpoints.Clear();
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
            _provider = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await TearDownAsync();
        if (_ownsFiles)
        {
            _files.Dispose();
        }
    }

    /// <summary>An endpoint as the worker sees it: its receiver and the strategy of its delivery mode.</summary>
    internal sealed record Endpoint(string Queue, EndpointRuntime Runtime, IMessageReceiver Receiver, BatchStrategy Strategy)
    {
        /// <summary>Takes up to <paramref name="max"/> messages and runs them as one batch, as the endpoint's worker does.</summary>
        public async Task<IReadOnlyList<ReceivedMessage>> HandleAsync(int max)
        {
            var received = await Receiver.ReceiveAsync(max, CancellationToken.None);
            var batch = received.Select(m => new ReceiveContext(m, Runtime, CancellationToken.None)).ToArray();
            await Strategy.HandleAsync(batch, CancellationToken.None);
            return received;
        }
    }

    private sealed class NoLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
