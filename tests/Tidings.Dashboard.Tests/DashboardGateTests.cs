using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.Dashboard;
using Tidings.Dashboard.Tests.Support;
using Tidings.Transport;
using Tidings.Transport.InMemory;

namespace Tidings.Dashboard.Tests;

/// <summary>
/// The dashboard's API locked by default: only this machine without a policy, nothing changed in read-only mode or
/// without the antiforgery token, and bodies through the redactor. The requests' remote address is set per request.
/// </summary>
public sealed class DashboardGateTests : IAsyncDisposable
{
    private const string Remote = "X-Test-Remote";
    private readonly InMemoryTransport _bus = new();
    private WebApplication? _app;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_a_policy_it_answers_this_machine_and_tells_anyone_else_why_not()
    {
        using var client = await StartAsync(_ => { });
        using var fromElsewhere = await client.SendAsync(Get("/tidings/api/failures/groups", "203.0.113.7"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, fromElsewhere.StatusCode);
        Assert.Equal("application/problem+json", fromElsewhere.Content.Headers.ContentType?.MediaType);
        Assert.Contains("AuthorizationPolicy", await fromElsewhere.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // A loopback address that a proxy forwarded, or a foreign name (a DNS rebinding page), is not this machine.
        var forwarded = Get("/tidings/api/failures/groups", "127.0.0.1");
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var viaProxy = await client.SendAsync(forwarded, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, viaProxy.StatusCode);
        var rebound = Get("/tidings/api/failures/groups", "127.0.0.1");
        rebound.Headers.Host = "evil.example";
        using var viaRebinding = await client.SendAsync(rebound, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, viaRebinding.StatusCode);
        var (token, cookie) = await AntiforgeryAsync(client);
        using var remotePurge = await client.SendAsync(Post("/tidings/api/failures/purge", new FailureSelection(All: true), token, cookie, remote: "203.0.113.7"), Ct);
        using var remotePage = await client.SendAsync(Get("/tidings/failures", "203.0.113.7"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, remotePage.StatusCode);
        using var remoteStream = await client.SendAsync(Get("/tidings/events", "203.0.113.7"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, remoteStream.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, remotePurge.StatusCode);
        Assert.Equal(2, await _bus.CountMessagesAsync(DeadLetterQueues.For("tabs"), Ct));

        using var local = await client.SendAsync(Get("/tidings/api/failures/groups", "127.0.0.1"), Ct);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        var groups = JsonDocument.Parse(await local.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(2, Assert.Single(groups.EnumerateArray()).GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task A_replay_needs_the_antiforgery_token_and_with_it_sends_the_dead_letters_back()
    {
        using var client = await StartAsync(_ => { });
        using var forged = await client.SendAsync(Post("/tidings/api/failures/replay", new FailureSelection(Endpoint: "tabs"), token: null), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("antiforgery", await forged.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(2, await _bus.CountMessagesAsync(DeadLetterQueues.For("tabs"), Ct));

        var (token, cookie) = await AntiforgeryAsync(client);
        using var replay = await client.SendAsync(Post("/tidings/api/failures/replay", new FailureSelection(Endpoint: "tabs"), token, cookie), Ct);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await replay.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("replayed").GetInt64());
        Assert.Equal(0, await _bus.CountMessagesAsync(DeadLetterQueues.For("tabs"), Ct));
        Assert.Equal(2, await _bus.CountMessagesAsync("tabs", Ct));
    }

    [Fact]
    public async Task Read_only_refuses_a_purge_even_with_the_token_and_nothing_is_purged()
    {
        using var client = await StartAsync(o => o.ReadOnly = true);
        var (token, cookie) = await AntiforgeryAsync(client);
        using var purge = await client.SendAsync(Post("/tidings/api/failures/purge", new FailureSelection(All: true), token, cookie), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, purge.StatusCode);
        Assert.Contains("read-only", await purge.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(2, await _bus.CountMessagesAsync(DeadLetterQueues.For("tabs"), Ct));
    }

    [Fact]
    public async Task A_cancel_of_a_scheduled_message_is_a_change_read_only_refuses_and_that_needs_the_token()
    {
        using var client = await StartAsync(o => o.ReadOnly = true);
        var (token, cookie) = await AntiforgeryAsync(client);
        var cancel = Post("/tidings/api/scheduled/cancel", new FailureSelection(), token, cookie);
        cancel.Content = new StringContent($"{{\"ids\":[\"{Guid.NewGuid()}\"]}}", Encoding.UTF8, "application/json");
        using var readOnly = await client.SendAsync(cancel, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.StatusCode);
        Assert.Contains("dashboard-read-only", await readOnly.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_limit_that_is_not_a_number_from_1_to_500_gets_problem_details()
    {
        using var client = await StartAsync(_ => { });
        foreach (var limit in new[] { "abc", "0", "501", "-1" })
        {
            using var response = await client.SendAsync(Get($"/tidings/api/failures?limit={limit}", "127.0.0.1"), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("limit must be a whole number from 1 to 500", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_selection_must_be_said_and_a_body_leaves_through_the_redactor()
    {
        using var client = await StartAsync(o => o.Redactor = (_, m) => m with
        {
            Body = Mask(m.Body),
            Headers = m.Headers.ToDictionary(h => h.Key, h => Mask(h.Value)!, StringComparer.Ordinal),
        });
        var (token, cookie) = await AntiforgeryAsync(client);
        using var nothing = await client.SendAsync(Post("/tidings/api/failures/purge", new FailureSelection(), token, cookie), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, nothing.StatusCode);
        Assert.Contains("dashboard-bad-request", await nothing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(2, await _bus.CountMessagesAsync(DeadLetterQueues.For("tabs"), Ct));

        using var list = await client.SendAsync(Get("/tidings/api/failures?limit=1", "::1"), Ct);
        var page = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct)).RootElement;
        var id = Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("id").GetString();
        Assert.NotNull(page.GetProperty("next").GetString());
        using var shown = await client.SendAsync(Get($"/tidings/api/failures/{id}", "::1"), Ct);
        var shownJson = await shown.Content.ReadAsStringAsync(Ct);
        var body = JsonDocument.Parse(shownJson).RootElement.GetProperty("body").GetString();
        Assert.Equal("{\"card\":\"****\"}", body);
        Assert.DoesNotContain("4242", shownJson, StringComparison.Ordinal);
        Assert.Contains("card **** declined", shownJson, StringComparison.Ordinal);
        Assert.DoesNotContain("4242", page.ToString(), StringComparison.Ordinal);
        using var missing = await client.SendAsync(Get("/tidings/api/failures/tabs.deadletter/999", "::1"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("No dead letter 'tabs.deadletter/999'", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_a_selection_gets_problem_details_and_changes_nothing()
    {
        using var client = await StartAsync(_ => { });
        var (token, cookie) = await AntiforgeryAsync(client);
        var request = Post("/tidings/api/failures/purge", new FailureSelection(All: true), token, cookie);
        request.Content = new StringContent("{\"all\": tru", Encoding.UTF8, "application/json");
        using var malformed = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.Contains("The body is not understood", await malformed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(2, await _bus.CountMessagesAsync(DeadLetterQueues.For("tabs"), Ct));
    }

    [Fact]
    public async Task With_a_policy_it_answers_whoever_the_policy_admits_from_anywhere_and_no_one_else()
    {
        using var client = await StartAsync(o => o.AuthorizationPolicy = "ops", services =>
        {
            services.AddAuthentication(HeaderUser.Name).AddScheme<AuthenticationSchemeOptions, HeaderUser>(HeaderUser.Name, _ => { });
            services.AddAuthorization(a => a.AddPolicy("ops", p => p.RequireRole("ops")));
        });

        using var anonymous = await client.SendAsync(Get("/tidings/api/failures/groups", "127.0.0.1"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var barista = Get("/tidings/api/failures/groups", "203.0.113.7");
        barista.Headers.Add(HeaderUser.Header, "bea:barista");
        using var notOps = await client.SendAsync(barista, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, notOps.StatusCode);
        // The pages, the redirect and the live stream are behind the policy too.
        foreach (var path in new[] { "/tidings", "/tidings/", "/tidings/failures", "/tidings/assets/dashboard.js", "/tidings/events" })
        {
            using var refusedPage = await client.SendAsync(Get(path, "127.0.0.1"), Ct);
            Assert.True(refusedPage.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {refusedPage.StatusCode}");
        }

        var operator_ = Get("/tidings/api/failures/groups", "203.0.113.7");
        operator_.Headers.Add(HeaderUser.Header, "olu:ops");
        using var ops = await client.SendAsync(operator_, Ct);
        Assert.Equal(HttpStatusCode.OK, ops.StatusCode);
    }

    [Fact]
    public async Task A_policy_that_is_not_registered_is_refused_when_the_dashboard_is_mapped()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(o => o.AuthorizationPolicy = "nope", s => s.AddAuthorization()));
        Assert.Contains("'nope'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("AddPolicy", refused.Message, StringComparison.Ordinal);
    }

    private static string? Mask(string? text) => text?.Replace("4242", "****", StringComparison.Ordinal);

    private async Task<HttpClient> StartAsync(Action<TidingsDashboardOptions> configure, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        builder.Services.AddTidings(t => t.UseInMemoryTransport(_bus));
        builder.Services.AddTidingsDashboard(configure);
        _app = builder.Build();
        _app.Use((http, next) =>
        {
            // The test server has no network: each request says where it comes from.
            http.Connection.RemoteIpAddress = http.Request.Headers.TryGetValue(Remote, out var remote) ? IPAddress.Parse(remote!) : null;
            return next(http);
        });
        _app.MapTidingsDashboard();
        await _app.StartAsync(Ct);
        await _bus.DeclareAsync(new QueueDeclaration("tabs", []), Ct);
        await _bus.SendAsync([Failed("{\"card\":\"4242\"}"), Failed("{\"card\":\"4242\"}")], Ct);
        return _app.GetTestClient();
    }

    private static OutgoingMessage Failed(string body) => new(Destination.Queue(DeadLetterQueues.For("tabs")), new Envelope
    {
        MessageId = Envelope.NewMessageId(), MessageName = "tabs.settle", SentAt = DateTimeOffset.UtcNow, Body = Encoding.UTF8.GetBytes(body),
        Headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [TidingsHeaders.DeadLetterReason] = "handler-failed",
            [TidingsHeaders.ExceptionType] = "Tabs.GatewayDownException",
            [TidingsHeaders.ExceptionMessage] = "card 4242 declined",
            [TidingsHeaders.ExceptionStackTrace] = "Tabs.GatewayDownException: card 4242 declined\n   at Tabs.Settle()",
            [TidingsHeaders.SourceQueue] = "tabs",
            [TidingsHeaders.DeadLetteredAt] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        },
    });

    private static HttpRequestMessage Get(string path, string remote) =>
        new(HttpMethod.Get, path) { Headers = { { Remote, remote } } };

    private static HttpRequestMessage Post(string path, FailureSelection selection, string? token, string? cookie = null, string remote = "127.0.0.1")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(selection), Headers = { { Remote, remote } } };
        if (token is not null)
        {
            request.Headers.Add(AntiforgeryHeader, token);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    /// <summary>The header ASP.NET Core's antiforgery reads by default: the dashboard leaves the app's setting alone.</summary>
    private const string AntiforgeryHeader = "RequestVerificationToken";

    /// <summary>The page's first step before a change: the token, and the cookie it pairs with.</summary>
    private static async Task<(string Token, string Cookie)> AntiforgeryAsync(HttpClient client)
    {
        using var response = await client.SendAsync(Get("/tidings/api/session", "127.0.0.1"), Ct);
        response.EnsureSuccessStatusCode();
        var antiforgery = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("antiforgery");
        Assert.Equal(AntiforgeryHeader, antiforgery.GetProperty("header").GetString());
        var token = antiforgery.GetProperty("token").GetString()!;
        var cookie = string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        return (token, cookie);
    }
}
