using System.Net;

namespace CoffeeShop.Tests;

/// <summary>
/// The counter's Tidings dashboard with the shop's key configured, the counter a real process: refused without the
/// key or with a wrong one, answered with it, and a page opened with <c>?key=</c> leaves a staff cookie (not the key)
/// that its own requests then use.
/// </summary>
public sealed class DashboardMountTests : IDisposable
{
    private const string Key = "shop-key-for-the-test";
    private readonly string _data = Directory.CreateTempSubdirectory("coffeeshop-dashboard-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder.
        }
    }

    [Fact]
    public async Task With_the_shops_key_the_dashboard_answers_staff_only_and_a_page_opened_with_the_key_signs_its_requests_in()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data, ("CoffeeShop__ApiKey", Key));
        using var _ = counter;
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = address };

        using var anonymous = await client.GetAsync("/tidings/api/failures/groups", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/tidings/api/failures/groups") { Headers = { { "X-Shop-Key", "not-the-key" } } };
        using var refused = await client.SendAsync(wrong, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/tidings/api/failures/groups") { Headers = { { "X-Shop-Key", Key } } };
        using var answered = await client.SendAsync(right, Ct);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Empty(cookies.GetAllCookies());

        // Opened as the docs say, with the key once: the page's own requests (no key) are then staff's.
        using var page = await client.GetAsync($"/tidings/?key={Key}", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var staff = Assert.Single(cookies.GetAllCookies(), c => c.Name == "shop-staff");
        Assert.DoesNotContain(Key, staff.Value, StringComparison.Ordinal);
        Assert.True(staff.HttpOnly);
        using var session = await client.GetAsync("/tidings/api/session", Ct);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        Assert.Contains("shop staff", await session.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
