using Cafe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tidings.Dashboard.Tests.Support;
using Tidings.Operations;

namespace Tidings.Dashboard.Tests;

/// <summary>
/// The dashboard's pages in a real headless Chromium, over a real service on Kestrel with Tidings on SQLite: a dead
/// letter arrives live, is opened, replayed, handled and gone; a saga's timeline; a scheduled timeout cancelled; the
/// overview and queues show the endpoints. Each page's screenshot is saved.
/// </summary>
public sealed class DashboardBrowserTests : BrowserTest
{
    private static readonly LocatorAssertionsToHaveCountOptions Live = new() { Timeout = 20_000 };

    [Fact]
    public async Task A_dead_letter_arrives_live_is_opened_and_replayed_and_is_seen_handled_and_gone()
    {
        await using var app = await DashboardApp.StartAsync();
        var page = await Chromium.OpenAsync(app.Address, "/tidings/failures");
        await Assertions.Expect(page.Locator("#live")).ToHaveAttributeAsync("data-state", "live");
        await Assertions.Expect(page.Locator("#groups tr.empty")).ToHaveCountAsync(1);

        // The card gateway is down: the tab fails once (no retries here) and is dead-lettered; the open page shows it.
        await app.Bus.SendAsync("tabs", new SettleTab(7, "4242"), cancellationToken: Ct);
        var group = page.Locator("#groups tr[data-group]");
        await Assertions.Expect(group).ToHaveCountAsync(1, Live);
        await Assertions.Expect(group).ToContainTextAsync("CardGatewayDownException");
        await Assertions.Expect(group).ToContainTextAsync("SettleTabHandler");
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-failures", "1");

        await group.ClickAsync();
        var letter = page.Locator("#letters tr[data-id]");
        await Assertions.Expect(letter).ToHaveCountAsync(1);
        await letter.ClickAsync();
        await Assertions.Expect(page.Locator("#detail-title")).ToHaveTextAsync("cafe.settle-tab");
        await Assertions.Expect(page.Locator("#detail-exception")).ToContainTextAsync("the card gateway is down (order 7)");
        await Assertions.Expect(page.Locator("#detail-body")).ToContainTextAsync("\"orderId\": 7");
        await Assertions.Expect(page.Locator("#detail-headers")).ToContainTextAsync("tidings-dead-letter-reason");
        await Browser.ShootAsync(page, "failures");

        // The gateway is back: one click sends it back to its endpoint, which handles it, and it leaves the page.
        app.Gateway.Down = false;
        await page.ClickAsync("#detail-retry");
        Assert.Equal(7, await app.Gateway.Settled.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        await Assertions.Expect(page.Locator("#detail-gone")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#letters tr[data-id]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-failures", "0");
        Assert.Equal(0, await app.App.Services.GetRequiredService<DeadLetters.IDeadLetters>().CountAsync(new DeadLetters.DeadLetterQuery(), Ct));
    }

    [Fact]
    public async Task A_sagas_timeline_is_shown_and_its_pending_timeout_can_be_cancelled_from_the_scheduled_page()
    {
        await using var app = await DashboardApp.StartAsync();
        await app.Bus.SendAsync("brewer", new BrewStarted("ida"), cancellationToken: Ct);
        await app.Bus.SendAsync("brewer", new BrewStarted("gus"), cancellationToken: Ct);
        await app.Bus.SendAsync("brewer", new BrewDone("gus"), cancellationToken: Ct);

        var page = await Chromium.OpenAsync(app.Address, "/tidings/sagas");
        var brew = page.Locator("#sagas tr[data-saga='brew']");
        await Assertions.Expect(brew).ToHaveCountAsync(1, Live);
        await Assertions.Expect(brew.Locator("td").Nth(2)).ToHaveTextAsync("1", new() { Timeout = 20_000 });
        await brew.ClickAsync();
        var gus = page.Locator("#instances tr[data-instance='gus']");
        await Assertions.Expect(gus).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 20_000 });
        await gus.ClickAsync();
        var timeline = page.Locator("#timeline li");
        await Assertions.Expect(timeline.First).ToHaveAttributeAsync("data-kind", "started");
        await Assertions.Expect(timeline.Last).ToHaveAttributeAsync("data-kind", "completed");
        var kinds = await timeline.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.kind + ' ' + i.querySelector('code').textContent)");
        Assert.Equal("started cafe.brew.started", kinds[0]);
        Assert.Contains("timeout-requested cafe.brew.started", kinds);
        Assert.Equal("completed cafe.brew.done", kinds[^1]);
        await page.Locator("#instances tr[data-instance='ida']").ClickAsync();
        await Assertions.Expect(page.Locator("#instance")).ToHaveAttributeAsync("data-status", "active");
        await Assertions.Expect(page.Locator("#timeouts")).ToContainTextAsync("drink-late");
        await Assertions.Expect(page.Locator("#state")).ToContainTextAsync("\"cup\": \"ida\"");
        await Browser.ShootAsync(page, "sagas");

        // Ida's drink-late timeout is what fires next; cancelled, it never fires.
        var scheduled = await Chromium.OpenAsync(app.Address, "/tidings/scheduled");
        var timeout = scheduled.Locator("#scheduled tr[data-message='cafe.brew.late']");
        await Assertions.Expect(timeout).ToHaveCountAsync(1, Live);
        await Browser.ShootAsync(scheduled, "scheduled");
        scheduled.Dialog += (_, dialog) => dialog.AcceptAsync();
        await timeout.Locator("button").ClickAsync();
        await Assertions.Expect(scheduled.Locator("#toast")).ToHaveTextAsync("Cancelled.");
        await Assertions.Expect(timeout).ToHaveCountAsync(0);
        var store = app.App.Services.GetRequiredService<IStoreInspector>();
        Assert.Empty((await store.ListScheduledAsync(cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task The_overview_and_queues_show_each_endpoint_its_health_and_its_traffic()
    {
        await using var app = await DashboardApp.StartAsync();
        app.Gateway.Down = false;
        await app.Bus.SendAsync("tabs", new SettleTab(1, "4242"), cancellationToken: Ct);
        await app.Gateway.Settled.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        var overview = await Chromium.OpenAsync(app.Address, "/tidings/");
        var tabs = overview.Locator("#endpoints tr[data-endpoint='tabs']");
        await Assertions.Expect(tabs).ToHaveAttributeAsync("data-health", "ok", new() { Timeout = 20_000 });
        await Assertions.Expect(overview.Locator("#endpoints tr[data-endpoint='brewer']")).ToHaveCountAsync(1);
        await Assertions.Expect(overview.Locator("#handled")).Not.ToHaveTextAsync("–");
        await Assertions.Expect(overview.Locator("#chart svg.bars rect.handled")).Not.ToHaveCountAsync(0);

        // A failure turns the endpoint's light, live.
        app.Gateway.Down = true;
        await app.Bus.SendAsync("tabs", new SettleTab(2, "4242"), cancellationToken: Ct);
        await Assertions.Expect(tabs).ToHaveAttributeAsync("data-health", "failing", new() { Timeout = 20_000 });
        await Assertions.Expect(overview.Locator("#dead")).ToHaveTextAsync("1", new() { Timeout = 20_000 });
        await Browser.ShootAsync(overview, "overview");

        var queues = await Chromium.OpenAsync(app.Address, "/tidings/queues");
        await Assertions.Expect(queues.Locator("#queues tr[data-queue='tabs']")).ToHaveCountAsync(1, Live);
        await Assertions.Expect(queues.Locator("#queues tr[data-queue='tabs'] svg.sparkline")).ToHaveCountAsync(1);
        await Browser.ShootAsync(queues, "queues");
    }

    [Fact]
    public async Task Read_only_pages_show_no_buttons_that_change_anything()
    {
        await using var app = await DashboardApp.StartAsync(o => o.ReadOnly = true);
        await app.Bus.SendAsync("tabs", new SettleTab(3, "4242"), cancellationToken: Ct);
        var page = await Chromium.OpenAsync(app.Address, "/tidings/failures");
        await Assertions.Expect(page.Locator("#groups tr[data-group]")).ToHaveCountAsync(1, Live);
        await Assertions.Expect(page.Locator("header .badge")).ToHaveTextAsync("read-only");
        await Assertions.Expect(page.Locator("#groups tr[data-group] .changes")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#groups tr[data-group] button").First).ToBeHiddenAsync();
        await page.Locator("#groups tr[data-group]").ClickAsync();
        await page.Locator("#letters tr[data-id]").ClickAsync();
        await Assertions.Expect(page.Locator("#detail-title")).ToHaveTextAsync("cafe.settle-tab");
        await Assertions.Expect(page.Locator("#detail-retry")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#detail-purge")).ToBeHiddenAsync();

        await app.Bus.SendAsync("brewer", new BrewStarted("vi"), cancellationToken: Ct);
        var scheduled = await Chromium.OpenAsync(app.Address, "/tidings/scheduled");
        var timeout = scheduled.Locator("#scheduled tr[data-message='cafe.brew.late']");
        await Assertions.Expect(timeout).ToHaveCountAsync(1, Live);
        await Assertions.Expect(timeout.Locator("button")).ToBeHiddenAsync();
    }
}
