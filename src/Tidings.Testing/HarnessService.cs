using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tidings.Stores;

namespace Tidings.Testing;

/// <summary>One service under test: a real host with the service's own Tidings registration, on the harness's transport and clock.</summary>
public sealed class HarnessService
{
    private readonly TidingsHarness _harness;
    private readonly IHost _host;

    internal HarnessService(TidingsHarness harness, string name, IHost host, WorkTracker tracker)
    {
        _harness = harness;
        _host = host;
        Name = name;
        Tracker = tracker;
    }

    /// <summary>The name the harness gave the service.</summary>
    public string Name { get; }

    /// <summary>The service's container: resolve what a test needs from it (its own services, <see cref="IBus"/>, stores).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The service's bus.</summary>
    public IBus Bus => Services.GetRequiredService<IBus>();

    internal IHost Host => _host;

    internal WorkTracker Tracker { get; }

    // Resolved once the host has started, so that its hosted services (the store's files first) are resolved, and so
    // disposed, in their own order.
    internal OutboxDispatcher? Dispatcher => _host.Services.GetService<OutboxDispatcher>();

    internal IOutboxStore? Outbox => _host.Services.GetService<IOutboxStore>();

    internal IScheduleStore? Schedules => _host.Services.GetService<IScheduleStore>();

    internal ScheduleWake? ScheduleWake => _host.Services.GetService<ScheduleWake>();

    /// <summary>
    /// After the clock moved: the relays look again. One that measured its wait before the move and starts its timer after
    /// it would otherwise wait from the new time, and fire late.
    /// </summary>
    internal void ClockMoved()
    {
        ScheduleWake?.Set();
        Dispatcher?.RelayWakeup.Set();
    }

    /// <summary>Sends from this service, and returns when the system is quiescent, with what happened.</summary>
    public Task<HarnessResult> SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull =>
        RunAsync((services, ct) => services.GetRequiredService<IBus>().SendAsync(destination, message, options, ct).AsTask(), cancellationToken);

    /// <summary>Publishes from this service, and returns when the system is quiescent, with what happened.</summary>
    public Task<HarnessResult> PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull =>
        RunAsync((services, ct) => services.GetRequiredService<IBus>().PublishAsync(message, options, ct).AsTask(), cancellationToken);

    /// <summary>Runs <paramref name="action"/> with this service's container (a session, a schedule, a call of the service's own code), then waits for quiescence.</summary>
    public Task<HarnessResult> RunAsync(Func<IServiceProvider, CancellationToken, Task> action, CancellationToken cancellationToken = default) =>
        _harness.RunAsync(this, action, cancellationToken);

    /// <summary>A saga instance's status and state, or null if there is none (or no longer).</summary>
    public async Task<SagaSnapshot<TState>?> SagaAsync<TState>(string sagaName, string correlationId, CancellationToken cancellationToken = default)
    {
        var details = await Services.GetRequiredService<ISagaInspector>().GetAsync(sagaName, correlationId, cancellationToken).ConfigureAwait(false);
        return details is null ? null : new SagaSnapshot<TState>(details.Summary.Status, details.State.Deserialize<TState>(SagaJson.Options)!, details);
    }
}

/// <summary>A saga instance as stored: its status, its state, and the whole record (history, pending timeouts, compensations).</summary>
public sealed record SagaSnapshot<TState>(SagaStatus Status, TState State, SagaInstanceDetails Details);
