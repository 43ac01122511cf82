using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.PostgreSql.Tests.Support;
using Tidings.RabbitMQ;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Faults;

/// <summary>Tidings' health checks against a real PostgreSQL server that is stopped and started again.</summary>
[Collection(nameof(DatabaseOutage))]
public sealed class HealthCheckTests : IAsyncDisposable
{
    private readonly string _schema = Database.NewSchema();
    private IHost? _host;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await Server.StartAsync(); // whatever happened in the test
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }
    }

    [Fact]
    public async Task The_store_checks_turn_unhealthy_while_the_database_is_down_and_healthy_when_it_is_back()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t => t
            .UseRabbitMq(new RabbitMqTransportOptions { ConnectionString = Broker.Uri })
            .UsePostgreSqlStore(Database.Options(_schema, TimeSpan.FromSeconds(5))));
        builder.Services.AddHealthChecks().AddTidingsHealthChecks();
        _host = builder.Build();
        await _host.StartAsync(Ct);
        var health = _host.Services.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync(Ct);
        Assert.True(report.Status == HealthStatus.Healthy, HealthReports.Describe(report));

        await Server.StopAsync();
        report = await HealthReports.WaitForAsync(health, r => r.Entries["tidings-store"].Status == HealthStatus.Unhealthy);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal(HealthStatus.Degraded, report.Entries["tidings-outbox"].Status); // it cannot be read, which is the store's failure
        Assert.Equal(HealthStatus.Healthy, report.Entries["tidings-transport"].Status);

        await Server.StartAsync();
        report = await HealthReports.WaitForAsync(health, r => r.Status == HealthStatus.Healthy);
        Assert.All(report.Entries.Values, e => Assert.Equal(HealthStatus.Healthy, e.Status));
    }
}
