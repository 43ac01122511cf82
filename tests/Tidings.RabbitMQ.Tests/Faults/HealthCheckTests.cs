using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Sqlite;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Faults;

/// <summary>Tidings' health checks against a real broker that is stopped and started again.</summary>
[Collection(nameof(BrokerFaults))]
public sealed class HealthCheckTests : IAsyncDisposable
{
    private readonly TestHosts _hosts = new();
    private readonly string _queue = "health-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"tidings-health-{Guid.NewGuid():N}.db");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await Broker.Ctl("start_app"); // whatever happened in the test
        await _hosts.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_store)!, Path.GetFileName(_store) + "*"))
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_checks_turn_unhealthy_while_the_broker_is_down_say_degraded_for_a_lagging_outbox_and_dead_letters_and_recover()
    {
        var host = await _hosts.StartAsync(
            t => t.UseRabbitMq(Broker.Options()).UseSqliteStore(_store).AddEndpoint(_queue, e =>
            {
                e.Handle<Numbered, PoisonHandler>();
                e.Retries = RetryPolicy.None;
            }),
            s => s.AddHealthChecks().AddTidingsHealthChecks(o => o.OutboxMaxAge = TimeSpan.FromMilliseconds(200)));
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync(Ct);
        Assert.True(report.Status == HealthStatus.Healthy, HealthReports.Describe(report));
        Assert.All(report.Entries.Values, e => Assert.Contains("ready", e.Tags));
        Assert.Equal(["tidings-dead-letters", "tidings-outbox", "tidings-store", "tidings-transport"], report.Entries.Keys.Order(StringComparer.Ordinal));

        await Broker.Ctl("stop_app");
        await HealthReports.WaitForAsync(health, r => r.Entries["tidings-transport"].Status == HealthStatus.Unhealthy);

        // Committed while the broker is away: it waits in the outbox, which lags.
        await using (var session = await host.Services.GetRequiredService<ITransactionalSessionFactory>().BeginAsync(Ct))
        {
            await session.SendAsync(_queue, new Numbered(1), cancellationToken: Ct);
            await session.CommitAsync(Ct);
        }

        report = await HealthReports.WaitForAsync(health, r => r.Entries["tidings-outbox"].Status == HealthStatus.Degraded);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["tidings-store"].Status);

        // Back: connected, the outbox drains, and the message it held fails into the dead-letter queue, which a person must see.
        await Broker.Ctl("start_app");
        report = await HealthReports.WaitForAsync(health, r => r.Entries["tidings-dead-letters"].Status == HealthStatus.Degraded && r.Entries["tidings-outbox"].Status == HealthStatus.Healthy);
        Assert.Equal(HealthStatus.Healthy, report.Entries["tidings-transport"].Status);
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Equal(1L, report.Entries["tidings-dead-letters"].Data["dead_letters"]);
    }

    private sealed class PoisonHandler : IHandleMessages<Numbered>
    {
        public Task HandleAsync(Numbered message, IMessageContext context, CancellationToken cancellationToken) =>
            throw new DeadLetterException("poison", $"Message {message.Seq} can never be handled.");
    }
}
