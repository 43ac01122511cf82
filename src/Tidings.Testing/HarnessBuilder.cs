using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Testing;

/// <summary>Settings of a harness.</summary>
public sealed class HarnessOptions
{
    /// <summary>Where the virtual clock starts. Default 2026-01-01T00:00Z.</summary>
    public DateTimeOffset StartTime { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Real time a call may wait while nothing changes before it fails, saying what keeps the system busy. A safety
    /// net for a stuck system, not how quiescence is found. Default 30 s.
    /// </summary>
    public TimeSpan QuiescenceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages one call may handle before it fails as a loop that never quiesces. Default 10,000.</summary>
    public int MessageBudget { get; set; } = 10_000;
}

/// <summary>The services a harness runs, each with its own Tidings registration, and the harness's settings.</summary>
public sealed class HarnessBuilder
{
    internal List<(string Name, Action<TidingsBuilder> Configure, Action<IServiceCollection>? Services)> Services { get; } = [];

    /// <summary>The settings.</summary>
    public HarnessOptions Options { get; } = new();

    /// <summary>
    /// Adds a service: a host of its own, with <paramref name="configure"/> as its <c>AddTidings</c> registration (endpoints,
    /// handlers, sagas; no transport or store, which the harness supplies), and <paramref name="services"/> for what its
    /// handlers depend on.
    /// </summary>
    public HarnessBuilder AddService(string name, Action<TidingsBuilder> configure, Action<IServiceCollection>? services = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (Services.Exists(s => s.Name == name))
        {
            throw new ArgumentException($"The harness already has a service named '{name}'.", nameof(name));
        }

        Services.Add((name, configure, services));
        return this;
    }
}
