using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Tidings.Stores;
using Tidings.Transport.InMemory;

namespace Tidings.Testing;

/// <summary>
/// Runs services built on Tidings in a test, deterministically: each call (send, publish, run, advance the clock) returns
/// when the system is quiescent, found by tracking what is queued, in flight, in the outbox and due, not by waiting for
/// a quiet spell. Every service is a real host with its own registration, on one in-memory transport, an in-memory
/// store each (real transactions), and one <see cref="FakeTimeProvider"/>.
/// </summary>
/// <example>
/// <code>
/// await using var harness = await TidingsHarness.StartAsync(t => t.AddEndpoint("cashier", e => e.Handle&lt;ChargeCard, ChargeCardHandler&gt;()));
/// var result = await harness.SendAsync("cashier", new ChargeCard("order-1", 4.50m));
/// Assert.Single(result.Published&lt;CardCharged&gt;());
/// </code>
/// </example>
public sealed class TidingsHarness : IAsyncDisposable
{
    private readonly SemaphoreSlim _oneCallAtATime = new(1, 1);
    private readonly List<HarnessService> _services = [];
    private readonly List<Func<HarnessFailure, bool>> _expected = [];
    private readonly HarnessOptions _options;
    private readonly HarnessLog _log;
    private readonly Quiescence _quiescence;
    private readonly List<TidingsOptions> _tidings = [];

    private TidingsHarness(HarnessOptions options)
    {
        _options = options;
        Time = new FakeTimeProvider(options.StartTime);
        Transport = new InMemoryTransport(Time) { CreatesQueuesOnSend = true };
        _log = new HarnessLog(Read, Time);
        Transport.Accepted = _log.Accepted;
        _quiescence = new Quiescence(Transport, _services, _log, options);
    }

    /// <summary>The virtual clock of every service. Move it with <see cref="AdvanceAsync"/>, which fires what comes due on the way.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>The transport every service is on.</summary>
    public InMemoryTransport Transport { get; }

    /// <summary>The services, in the order they were added.</summary>
    public IReadOnlyList<HarnessService> Services => _services;

    /// <summary>Starts one service with <paramref name="configure"/> as its Tidings registration and <paramref name="services"/> for its dependencies.</summary>
    public static Task<TidingsHarness> StartAsync(
        Action<TidingsBuilder> configure, Action<IServiceCollection>? services = null, CancellationToken cancellationToken = default) =>
        StartAsync(h => h.AddService("service", configure, services), cancellationToken);

    /// <summary>Starts the services <paramref name="build"/> adds, to test a conversation between them.</summary>
    public static async Task<TidingsHarness> StartAsync(Action<HarnessBuilder> build, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        var builder = new HarnessBuilder();
        build(builder);
        if (builder.Services.Count == 0)
        {
            throw new ArgumentException("Add at least one service: h => h.AddService(\"name\", t => ...).", nameof(build));
        }

        var harness = new TidingsHarness(builder.Options);
        try
        {
            foreach (var (name, configure, services) in builder.Services)
            {
                harness._services.Add(harness.Build(name, configure, services));
            }

            foreach (var service in harness._services)
            {
                await service.Host.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            await harness._quiescence.WaitAsync(cancellationToken).ConfigureAwait(false);
            harness._log.Take();
            return harness;
        }
        catch
        {
            await harness.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The service named <paramref name="name"/>.</summary>
    public HarnessService Service(string name) =>
        _services.Find(s => s.Name == name) ?? throw new ArgumentException(
            $"The harness has no service named '{name}'; it has {string.Join(", ", _services.Select(s => $"'{s.Name}'"))}.", nameof(name));

    /// <summary>The only service's container.</summary>
    public IServiceProvider ServiceProvider => Single.Services;

    /// <summary>Sends from the only service; returns at quiescence with what happened.</summary>
    public Task<HarnessResult> SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => Single.SendAsync(destination, message, options, cancellationToken);

    /// <summary>Publishes from the only service; returns at quiescence with what happened.</summary>
    public Task<HarnessResult> PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => Single.PublishAsync(message, options, cancellationToken);

    /// <summary>Runs <paramref name="action"/> with the only service's container; returns at quiescence with what happened.</summary>
    public Task<HarnessResult> RunAsync(Func<IServiceProvider, CancellationToken, Task> action, CancellationToken cancellationToken = default) =>
        Single.RunAsync(action, cancellationToken);

    /// <summary>A saga instance of the only service.</summary>
    public Task<SagaSnapshot<TState>?> SagaAsync<TState>(string sagaName, string correlationId, CancellationToken cancellationToken = default) =>
        Single.SagaAsync<TState>(sagaName, correlationId, cancellationToken);

    /// <summary>From now on, failures whose exception is a <typeparamref name="TException"/> are expected: reported in results, not thrown.</summary>
    public void ExpectFailures<TException>()
        where TException : Exception => ExpectFailures(f => f.Exception is TException);

    /// <summary>From now on, failures that <paramref name="expected"/> accepts are reported in results, not thrown.</summary>
    public void ExpectFailures(Func<HarnessFailure, bool> expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        lock (_expected)
        {
            _expected.Add(expected);
        }
    }

    /// <summary>
    /// Moves the clock forward by <paramref name="by"/>, stopping at each moment something comes due (a timeout, a delayed
    /// message, a redelivery) and letting the system reach quiescence there before going on, as it would in real time.
    /// </summary>
    public Task<HarnessResult> AdvanceAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        return CallAsync(async ct =>
        {
            var target = Time.GetUtcNow() + by;
            await _quiescence.WaitAsync(ct).ConfigureAwait(false);
            while (true)
            {
                // Quiescent, so whatever is next is in the future: stop there, or at the target if that is sooner.
                var now = Time.GetUtcNow();
                var next = await _quiescence.NextDueAsync(now, ct).ConfigureAwait(false);
                var to = next is { } due && due > now && due < target ? due : target;
                if (to > now)
                {
                    Time.Advance(to - now);
                }

                // Receivers wait for visible messages in real time, and relays may have measured their waits before the
                // move: all look again.
                Transport.WakeReceivers();
                foreach (var service in _services)
                {
                    service.ClockMoved();
                }

                await _quiescence.WaitAsync(ct).ConfigureAwait(false);
                if (to >= target)
                {
                    return;
                }
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Every host is stopped and disposed (its database removed), even if another one fails to stop.
        var failures = new List<Exception>();
        foreach (var service in Enumerable.Reverse(_services))
        {
            try
            {
                await service.Host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Collected and thrown together once every host is down.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures.Add(ex);
            }
            finally
            {
                service.Host.Dispose();
            }
        }

        _oneCallAtATime.Dispose();
        if (failures.Count > 0)
        {
            throw new AggregateException("Stopping the harness's services failed.", failures);
        }
    }

    internal Task<HarnessResult> RunAsync(HarnessService service, Func<IServiceProvider, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        return CallAsync(async ct =>
        {
            await action(service.Services, ct).ConfigureAwait(false);
            await _quiescence.WaitAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    private HarnessService Single => _services.Count == 1 ? _services[0] : throw new InvalidOperationException(
        $"The harness runs {_services.Count} services: say which, harness.Service(\"{_services[0].Name}\").SendAsync(...).");

    private async Task<HarnessResult> CallAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        await _oneCallAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                await call(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // What this call saw belongs to it, not to the next one.
                _log.Take();
                throw;
            }

            var (result, standing) = _log.Take();
            List<HarnessFailure> unexpected;
            lock (_expected)
            {
                unexpected = [.. standing.Where(f => !_expected.Exists(e => e(f)))];
            }

            return unexpected.Count == 0 ? result : throw new HarnessFailureException(result, unexpected);
        }
        finally
        {
            _oneCallAtATime.Release();
        }
    }

    private HarnessService Build(string name, Action<TidingsBuilder> configure, Action<IServiceCollection>? services)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name, EnvironmentName = Environments.Development });
        builder.Services.AddLogging();
        services?.Invoke(builder.Services);
        var tracker = new WorkTracker
        {
            HandlerRan = run => _log.HandlerRan(name, run),
            Settled = outcome => _log.Outcome(name, outcome),
        };
        builder.Services.AddSingleton(tracker);
        builder.Services.AddTidings(t =>
        {
            configure(t);
            if (t.HasTransport || t.HasStore)
            {
                throw new InvalidOperationException(
                    $"Service '{name}' chose a transport or a store, which the harness supplies (the in-memory transport, and an in-memory " +
                    "store with real transactions). Hand the harness the endpoints only: keep them in a method that both Program.cs " +
                    "(with UseRabbitMq, UsePostgreSqlStore, ...) and the test call.");
            }

            t.UseTransport(_ => Transport).UseInMemoryStore();
            t.Options.ServiceName ??= name;
            t.Options.PublishFlow = false;
            _tidings.Add(t.Options);
        });
        builder.Services.RemoveAll<TimeProvider>();
        builder.Services.AddSingleton<TimeProvider>(Time);
        WatchSchedules(builder.Services, tracker);
        return new HarnessService(this, name, builder.Build(), tracker);
    }

    private void WatchSchedules(IServiceCollection services, WorkTracker tracker)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IScheduleStore));
        if (registered?.ImplementationFactory is not { } factory)
        {
            return;
        }

        services.Remove(registered);
        services.AddSingleton<IScheduleStore>(sp => new WatchedScheduleStore((IScheduleStore)factory(sp), _log, tracker));
    }

    /// <summary>A message's body, by the name any service under test registered (never by a type the wire names).</summary>
    private object? Read(Envelope envelope)
    {
        foreach (var options in _tidings)
        {
            if (options.Registry.TryResolve(envelope.MessageName, out var type))
            {
                try
                {
                    return options.Serializer.Deserialize(envelope.Body, type);
                }
                catch (System.Text.Json.JsonException)
                {
                    return null;
                }
            }
        }

        return null;
    }
}
