using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CoffeeShop.Tests;

/// <summary>An order the counter accepted: its id (the name on the cup), where its status is, and the token that reads it.</summary>
public sealed record PlacedOrder(string Id, string Location, string Token);

/// <summary>A customer at the counter, over HTTP: places orders and reads them back with their tokens.</summary>
public sealed class CounterClient(Uri counter) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = counter };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Places an order of one large latte, which must be accepted.</summary>
    public async Task<PlacedOrder> PlaceAsync(string customer, string card = "tok_visa", string? key = null)
    {
        using var response = await PostAsync(new { customer, drinks = new[] { new { name = "latte", size = "large" } }, cardToken = card }, key ?? Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return new PlacedOrder(body.GetProperty("id").GetString()!, body.GetProperty("location").GetString()!, body.GetProperty("token").GetString()!);
    }

    /// <summary>POST /orders with <paramref name="body"/> as JSON and <paramref name="key"/> as its Idempotency-Key (none if null).</summary>
    public Task<HttpResponseMessage> PostAsync(object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return _http.SendAsync(request, Ct);
    }

    /// <summary>Sends <paramref name="request"/> as it is.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request, Ct);

    /// <summary>GET <paramref name="path"/> with the order's token (no redirect is followed).</summary>
    public Task<HttpResponseMessage> GetAsync(string path, PlacedOrder order)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Resource-Token", order.Token);
        return _http.SendAsync(request, Ct);
    }

    /// <summary>Reads the order's status until <paramref name="done"/> holds of it; returns that answer.</summary>
    public async Task<HttpResponseMessage> WaitForStatusAsync(PlacedOrder order, Func<HttpResponseMessage, bool> done)
    {
        HttpResponseMessage? last = null;
        await Tidings.Transport.Contracts.Effects.WaitForAsync(async () => done(last = await GetAsync(order.Location, order)), TimeSpan.FromSeconds(45),
            () => $"the status of {order.Id} stayed {last?.StatusCode}");
        return last!;
    }

    public void Dispose() => _http.Dispose();
}
