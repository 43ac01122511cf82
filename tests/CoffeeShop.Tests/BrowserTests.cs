using Microsoft.Playwright;

namespace CoffeeShop.Tests;

/// <summary>
/// The shop's pages in a real headless Chromium (Debian's, driven by Playwright): a customer orders and watches the
/// order's states arrive; the board shows the cups in their lanes, the services' lights and the queues.
/// </summary>
public sealed class BrowserTests : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private static string Chromium => Environment.GetEnvironmentVariable("TIDINGS_CHROMIUM") ?? "/usr/bin/chromium";

    public async ValueTask InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [Fact]
    public async Task A_customer_orders_and_watches_the_order_served_then_a_declined_card_written_off_and_the_board_shows_both()
    {
        await using var shop = await RunningShop.StartAsync(baristas: 1, [("Barista__DrinkMs", "100")]);
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { BaseURL = shop.Counter.ToString() });
        await page.GotoAsync("/");

        await page.FillAsync("#customer", "Flo");
        await page.SelectOptionAsync("#drink", "flat-white");
        await page.SelectOptionAsync("#size", "large");
        await page.ClickAsync("#order");

        // Each state arrives as it happens, and the receipt at the end.
        var ended = page.Locator("body[data-order-ended]");
        await Assertions.Expect(ended).ToHaveAttributeAsync("data-order-ended", "served", new() { Timeout = 45_000 });
        await Assertions.Expect(page.Locator("#cup-name")).ToContainTextAsync("Flo-");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("served");
        var timeline = page.Locator("#timeline li");
        await Assertions.Expect(timeline.Filter(new() { HasText = "Order taken at the counter" })).ToHaveCountAsync(1);
        await Assertions.Expect(timeline.Filter(new() { HasText = "Drink ready" })).ToHaveCountAsync(1);
        await Assertions.Expect(timeline.Filter(new() { HasText = "Card charged" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#receipt")).ToContainTextAsync("large flat-white: 4.90");
        var served = (await page.Locator("#cup-name").TextContentAsync())!;

        // The same customer with a card that is declined: the drink is written off, and the page says why.
        await page.SelectOptionAsync("#card", "tok_declined");
        await page.ClickAsync("#order");
        await Assertions.Expect(ended).ToHaveAttributeAsync("data-order-ended", "written-off", new() { Timeout = 45_000 });
        await Assertions.Expect(page.Locator("#failure")).ToContainTextAsync("The card was declined.");
        await Assertions.Expect(page.Locator("#timeline li").Filter(new() { HasText = "Card declined" })).ToHaveCountAsync(1);
        var writtenOff = (await page.Locator("#cup-name").TextContentAsync())!;
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "order-page.png"), FullPage = true });

        // Behind the counter: both cups in their lanes, the services' lights on, and the queues.
        var board = await _browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = shop.Counter.ToString() });
        await board.GotoAsync("/board.html");
        await Assertions.Expect(board.Locator($".lane[data-lane='served'] .cup[data-id='{served}']")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Assertions.Expect(board.Locator($".lane[data-lane='undone'] .cup[data-id='{writtenOff}']")).ToHaveCountAsync(1);
        await Assertions.Expect(board.Locator("#services li[data-service='cashier'][data-up='true']")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Assertions.Expect(board.Locator("#services li[data-service='rewards'][data-up='true']")).ToHaveCountAsync(1);
        await Assertions.Expect(board.Locator("#queues li[data-queue='barista']")).ToHaveCountAsync(1);
        await Assertions.Expect(board.Locator("#finished li[data-stage='served']")).ToHaveAttributeAsync("data-count", "1");

        // Live: a third order shows on the open board without a reload.
        using var customer = new CounterClient(shop.Counter);
        var third = await customer.PlaceAsync("Gus");
        await Assertions.Expect(board.Locator($".cup[data-id='{third.Id}']")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Assertions.Expect(board.Locator($".lane[data-lane='served'] .cup[data-id='{third.Id}']")).ToHaveCountAsync(1, new() { Timeout = 45_000 });
        await board.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "board.png"), FullPage = true });

        // The counter's Tidings dashboard: its order saga's instances, the written-off one compensated or completed.
        var dashboard = await _browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = shop.Counter.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        await dashboard.GotoAsync("/tidings/sagas");
        var orders = dashboard.Locator("#sagas tr[data-saga='order']");
        await Assertions.Expect(orders).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await orders.ClickAsync();
        await dashboard.Locator($"#instances tr[data-instance='{served}']").ClickAsync();
        await Assertions.Expect(dashboard.Locator("#timeline li").First).ToHaveAttributeAsync("data-kind", "started");
        await Assertions.Expect(dashboard.Locator("#instance")).ToHaveAttributeAsync("data-status", "completed");
        await dashboard.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "coffeeshop-dashboard-sagas.png"), FullPage = true });
        await dashboard.GotoAsync("/tidings/");
        await Assertions.Expect(dashboard.Locator("#endpoints tr[data-endpoint]")).Not.ToHaveCountAsync(0);
        await dashboard.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "coffeeshop-dashboard.png"), FullPage = true });
    }
}
