using Cafe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Tidings.Dashboard.Tests.Support;
using Tidings.Sqlite;

namespace Tidings.Dashboard.Tests;

/// <summary>
/// The flow map of a two-service system on one SQLite bus: the cafe (with the dashboard) sends a cook order to the
/// kitchen from outside a handler, the kitchen's handler publishes that it is cooked, and the cafe's endpoint hears it.
/// The map, drawn from the two services' own reports, shows both services, their endpoints and both arrows.
/// </summary>
public sealed class FlowMapTests : BrowserTest
{
    private IHost? _kitchen;

    [Fact]
    public async Task The_map_shows_both_services_their_endpoints_and_the_messages_between_them()
    {
        await using var cafe = await DashboardApp.StartAsync(tidings: t => t.AddEndpoint("front", e => e.Handle<Cooked, CookedHandler>()));
        using var kitchen = await StartKitchenAsync(cafe.BusFile);
        _kitchen = kitchen;
        try
        {
            await SeeTheMapAsync(cafe);
        }
        finally
        {
            await kitchen.StopAsync(CancellationToken.None);
        }
    }

    private async Task SeeTheMapAsync(DashboardApp cafe)
    {
        // Each service's first sample is its flow baseline: once both have sampled twice, the orders that follow are
        // in their next reports.
        await SampledTwiceAsync(cafe.App.Services);
        await SampledTwiceAsync(_kitchen!.Services);
        var page = await Chromium.OpenAsync(cafe.Address, "/tidings/flow");
        await Assertions.Expect(page.Locator("#live")).ToHaveAttributeAsync("data-state", "live");
        for (var order = 1; order <= 3; order++)
        {
            await cafe.Bus.SendAsync("kitchen", new Cook(order), cancellationToken: Ct);
        }

        var live = new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 };
        var ordered = page.Locator("#edges tr[data-from='cafe/'][data-message='cafe.cook'][data-to='kitchen/kitchen']");
        var cooked = page.Locator("#edges tr[data-from='kitchen/kitchen'][data-message='cafe.cooked'][data-to='cafe/front']");
        await Assertions.Expect(ordered).ToHaveCountAsync(1, live);
        await Assertions.Expect(cooked).ToHaveCountAsync(1, live);
        await Assertions.Expect(ordered.Locator("td").Nth(4)).ToHaveTextAsync("3", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("svg.flow g.node[data-service='kitchen'][data-endpoint='kitchen']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("svg.flow g.node[data-service='cafe'][data-endpoint='front']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("svg.flow path.edge[data-message='cafe.cooked']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-services", "cafe kitchen");
        await Browser.ShootAsync(page, "flow");
    }

    private static Task SampledTwiceAsync(IServiceProvider services)
    {
        var history = services.GetRequiredService<Tidings.Operations.IStatisticsHistory>();
        return Tidings.Transport.Contracts.Effects.WaitForAsync(() => history.Samples.Count >= 2, TimeSpan.FromSeconds(30), () => "the service did not sample twice");
    }

    /// <summary>The second service: the kitchen, on the cafe's bus file, reporting its traffic every second.</summary>
    private static async Task<IHost> StartKitchenAsync(string bus)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t => t
            .UseSqlite(new SqliteTransportOptions { Path = bus, PollInterval = TimeSpan.FromMilliseconds(50) })
            .Configure(o =>
            {
                o.ServiceName = "kitchen";
                o.StatisticsInterval = TimeSpan.FromSeconds(1);
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            })
            .AddEndpoint("kitchen", e => e.Handle<Cook, CookHandler>()));
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }
}
