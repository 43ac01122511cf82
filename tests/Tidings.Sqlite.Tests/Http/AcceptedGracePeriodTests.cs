using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tidings.AspNetCore;
using Tidings.Sqlite.Tests.Support;

namespace Tidings.Sqlite.Tests.Http;

/// <summary>
/// A resource the status does not know yet reads as <c>accepted</c> for <c>AcceptedGracePeriod</c> after its 202, by the
/// service's clock, and 404 after that; the clock is a <see cref="FakeTimeProvider"/> the test moves.
/// </summary>
public sealed class AcceptedGracePeriodTests : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private WebApplication? _app;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task An_unknown_resource_reads_as_accepted_within_the_grace_period_and_not_found_after_it()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddTidings(t => t.UseSqlite(_directory.File("bus.db")).UseSqliteStore(_directory.File("counter.db")));
        builder.Services.AddTidingsAspNetCore(o => o.AcceptedGracePeriod = TimeSpan.FromMinutes(5));
        _app = builder.Build();
        // Its first message never shows: the status knows nothing of it, ever.
        _app.MapAccepted<Order>("/orders", (order, _) => Task.FromResult(AcceptContext.Resource(order.Id, $"/orders/{order.Id}")));
        _app.MapAcceptedStatus("/orders/{id}", (_, _) => Task.FromResult<ResourceStatus?>(null));
        await _app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        var post = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = JsonContent.Create(new Order("o-1")) };
        post.Headers.Add("Idempotency-Key", "grace-1");
        var accepted = await (await client.SendAsync(post, Ct)).Content.ReadFromJsonAsync<AcceptedBody>(Ct);

        _time.Advance(TimeSpan.FromMinutes(4));
        var early = await GetAsync(client, accepted!);
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        Assert.Equal("accepted", (await early.Content.ReadFromJsonAsync<StatusBody>(Ct))!.Status);

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, accepted!)).StatusCode);
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient client, AcceptedBody resource)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, resource.Location);
        request.Headers.Add("Resource-Token", resource.Token);
        return client.SendAsync(request, Ct);
    }

    public sealed record Order(string Id);
}
