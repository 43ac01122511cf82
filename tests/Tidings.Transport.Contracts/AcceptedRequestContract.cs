using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Tidings.AspNetCore;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>
/// Accepted requests with an Idempotency-Key, on a real Kestrel on loopback, on every store: the draft's four cases, a
/// concurrent pair, callers kept apart, and a failed request that leaves no key. The order, its message and the key's
/// response commit together in the service's own database.
/// </summary>
public abstract partial class AcceptedRequestContract<TFixture> : IAsyncLifetime
    where TFixture : IEffectivelyOnceFixture, new()
{
    private readonly string _announced = "http-announced-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _counter = "http-counter-" + Guid.NewGuid().ToString("N")[..8];
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _keyRing = Path.Combine(Path.GetTempPath(), "tidings-keys-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private HttpClient? _client;
    private HttpClient? _statusClient;
    private ITransport? _transport;
    private int _handled;
    private bool _holdFirst;
    private bool _failNext;

    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Orders => Fixture.Tables.Inbox.Replace("tidings_inbox", "test_orders", StringComparison.Ordinal).Replace(".inbox", ".test_orders", StringComparison.Ordinal);

    private HttpClient Client => _client!;

    public async ValueTask InitializeAsync()
    {
        (_app, var address) = await StartInstanceAsync(runsTheSaga: true);
        _client = new HttpClient { BaseAddress = new Uri(address) };

        // A 303 is what the status test looks at, not where it leads.
        _statusClient = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };
    }

    /// <summary>
    /// An instance of the counter service: the one the tests talk to runs the order saga; another, on the same database
    /// and key ring, only answers HTTP (a client of it sees what the first one's saga does only through the store).
    /// </summary>
    private async Task<(WebApplication App, string Address)> StartInstanceAsync(bool runsTheSaga)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddTidings(t =>
        {
            Fixture.UseTransport(t);
            Fixture.UseStore(t);
            t.AddMessage<HttpOrderPlaced>();
            if (runsTheSaga)
            {
                t.AddEndpoint(_counter, e =>
                {
                    e.Saga<HttpOrderSaga>("http-order", o => o.KeepCompleted = true);
                    e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                });
            }
        });
        builder.Services.AddTidingsAspNetCore(o =>
        {
            o.CallerIdentity = http => http.Request.Headers["X-Caller"].ToString();
            o.EventsHeartbeatInterval = HeartbeatInterval;

            // The instance that runs the saga hears of its changes from the saga itself, never from a poll: its
            // streams' tests fail if that path does. The other instance has only the poll.
            o.EventsPollInterval = runsTheSaga ? TimeSpan.FromHours(1) : TimeSpan.FromMilliseconds(100);
        });
        builder.Services.AddOpenApi();
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(_keyRing)).SetApplicationName("tidings-contract");
        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapAccepted<PlaceHttpOrder>("/orders", PlaceAsync);
        app.MapAcceptedCancel("/orders/{id}", async (id, cancel) =>
        {
            // The counter refuses what is served already; the rest is the saga's to undo.
            var order = await app.Services.GetRequiredService<ISagaInspector>().GetAsync("http-order", id, cancel.CancellationToken);
            if (order is null || order.Summary.Status != SagaStatus.Active)
            {
                return false;
            }

            await cancel.SendAsync(_counter, new HttpOrderRefused(id), cancellationToken: cancel.CancellationToken);
            return true;
        });
        app.MapAcceptedStatus("/orders/{id}", SagaResourceStatus.For(
            "http-order", resultLocation: i => $"/orders/{i.Summary.CorrelationId}/receipt", describe: i => i.State.GetProperty("stage").GetString()!));
        app.MapAcceptedEvents("/orders/{id}/events", SagaResourceStatus.Events(
            "http-order", resultLocation: i => $"/orders/{i.Summary.CorrelationId}/receipt", describe: i => i.State.GetProperty("stage").GetString()!));
        app.MapAcceptedResult("/orders/{id}/receipt", async (id, http) =>
            await http.RequestServices.GetRequiredService<ISagaInspector>().GetAsync("http-order", id, http.RequestAborted) is { Summary.Status: SagaStatus.Completed } order
                ? new HttpReceipt(id, order.State.GetProperty("stage").GetString()!)
                : null);
        app.MapOpenApi();
        await app.StartAsync(Ct);
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        _client?.Dispose();
        _statusClient?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        await Fixture.DeleteQueuesAsync(_announced, _counter);
        if (Directory.Exists(_keyRing))
        {
            Directory.Delete(_keyRing, recursive: true);
        }

        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_request_without_a_key_is_refused_with_problem_details()
    {
        var response = await Client.PostAsJsonAsync("/orders", new PlaceHttpOrder("latte", "ada"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.EndsWith("idempotency-key-missing", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task A_retry_with_the_key_gets_the_first_response_and_makes_nothing_twice()
    {
        await using var announced = await ListenAsync();
        var first = await PostAsync("ada", "key-1", new PlaceHttpOrder("latte", "ada"));
        var retry = await PostAsync("ada", "key-1", new PlaceHttpOrder("latte", "ada"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.NotNull(first.Headers.Location);
        Assert.NotNull(first.Headers.RetryAfter);
        var body = await first.Content.ReadFromJsonAsync<AcceptedBody>(Ct);
        Assert.Equal(("accepted", first.Headers.Location!.ToString()), (body!.Status, body.Location));

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, _handled);
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Orders}"));

        // The order's message left once, with an id the key decides.
        var message = Assert.Single(await announced.DrainAsync(1, TimeSpan.FromSeconds(15)));
        Assert.Equal(body.Id, JsonSerializer.Deserialize<HttpOrderPlaced>(message.Envelope.Body.Span, JsonSerializerOptions.Web)!.OrderId);
        Assert.Equal(8, message.Envelope.MessageId.Version);
    }

    [Fact]
    public async Task The_key_with_another_request_is_refused_with_422()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("ada", "key-2", new PlaceHttpOrder("latte", "ada"))).StatusCode);

        var other = await PostAsync("ada", "key-2", new PlaceHttpOrder("mocha", "ada"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, _handled);
    }

    [Fact]
    public async Task The_key_while_its_first_request_is_in_progress_gets_409_and_one_order_is_made()
    {
        _holdFirst = true;
        var first = PostAsync("ada", "key-3", new PlaceHttpOrder("latte", "ada"));
        await _entered.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);

        var second = await PostAsync("ada", "key-3", new PlaceHttpOrder("latte", "ada"));
        _release.SetResult();

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Accepted, (await first).StatusCode);
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Orders}"));
    }

    [Fact]
    public async Task Two_requests_at_once_with_one_key_make_one_order()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync("ada", "key-4", new PlaceHttpOrder("latte", "ada"))));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(1, _handled);
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Orders}"));
    }

    [Fact]
    public async Task Another_callers_same_key_is_another_key_and_never_replays_the_first_callers_response()
    {
        var ada = await PostAsync("ada", "key-5", new PlaceHttpOrder("latte", "ada"));
        var eve = await PostAsync("eve", "key-5", new PlaceHttpOrder("latte", "ada"));

        Assert.Equal(HttpStatusCode.Accepted, eve.StatusCode);
        Assert.False(eve.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(ada.Headers.Location, eve.Headers.Location);
        Assert.Equal(2, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Orders}"));
    }

    [Fact]
    public async Task A_request_that_fails_leaves_no_key_and_its_retry_makes_one_order()
    {
        _failNext = true;
        var failed = await PostAsync("ada", "key-6", new PlaceHttpOrder("latte", "ada"));
        var retry = await PostAsync("ada", "key-6", new PlaceHttpOrder("latte", "ada"));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Orders}"));
    }

    [Fact]
    public async Task A_requests_trace_goes_on_through_the_outbox_to_the_handler_of_its_message()
    {
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource("Microsoft.AspNetCore").AddTidingsInstrumentation().AddInMemoryExporter(spans).Build())
        {
            var placed = await (await PostAsync("ada", "key-14", new PlaceHttpOrder("latte", "ada"))).Content.ReadFromJsonAsync<AcceptedBody>(Ct);
            Assert.NotNull(placed);
            await WaitForStatusAsync(placed, r => r.StatusCode == HttpStatusCode.OK && r.Headers.ETag?.Tag != "\"0\"");

            // The POST's server span is the parent of the message's producer span; the saga's consumer span, which ends
            // just after its commit, is in the same trace.
            await Effects.WaitForAsync(() => Traced(spans.ToList()), TimeSpan.FromSeconds(15), () => $"{spans.Count} spans, none of them the handler's in the request's trace");
        }

        static bool Traced(List<Activity> finished)
        {
            var servers = finished.Where(s => s.Kind == ActivityKind.Server).ToList();
            var producer = finished.SingleOrDefault(s => s.Kind == ActivityKind.Producer && servers.Any(server => server.SpanId == s.ParentSpanId));
            return producer is not null && finished.Any(s => s.Kind == ActivityKind.Consumer && s.TraceId == producer.TraceId);
        }
    }

    [Fact]
    public async Task An_invalid_or_refused_request_gets_problem_details_keeps_nothing_and_its_key_serves_a_corrected_one()
    {
        var invalid = await PostAsync("ada", "key-15", new PlaceHttpOrder("", "ada"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("drink", out _)); // by its JSON name
        Assert.Equal(0, _handled);

        var refused = await PostAsync("ada", "key-16", new PlaceHttpOrder("tea", "ada"));
        await AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "no-tea");

        var corrected = await PostAsync("ada", "key-16", new PlaceHttpOrder("latte", "ada"));
        Assert.Equal(HttpStatusCode.Accepted, corrected.StatusCode);
        Assert.Equal(1, await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Orders}"));
    }

    [Fact]
    public async Task Requests_that_cannot_be_accepted_as_they_are_get_problem_details_and_run_nothing()
    {
        var plain = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = new StringContent("{\"drink\":\"latte\"}", System.Text.Encoding.UTF8, "text/plain") };
        plain.Headers.Add("Idempotency-Key", "key-9");
        var twoKeys = Request("ada", "key-10", JsonContent.Create(new PlaceHttpOrder("latte", "ada")));
        twoKeys.Headers.Add("Idempotency-Key", "key-11");
        var quotedList = Request("ada", "\"key-17\", \"key-18\"", JsonContent.Create(new PlaceHttpOrder("latte", "ada")));
        var unterminated = Request("ada", "\"key-19", JsonContent.Create(new PlaceHttpOrder("latte", "ada")));

        await AssertProblemAsync(await Client.SendAsync(plain, Ct), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await AssertProblemAsync(await Client.SendAsync(twoKeys, Ct), HttpStatusCode.BadRequest, "idempotency-key-repeated");
        await AssertProblemAsync(await Client.SendAsync(quotedList, Ct), HttpStatusCode.BadRequest, "idempotency-key-repeated");
        await AssertProblemAsync(await Client.SendAsync(unterminated, Ct), HttpStatusCode.BadRequest, "idempotency-key-malformed");
        await AssertProblemAsync(await Client.SendAsync(Request("ada", new string('k', 256), JsonContent.Create(new PlaceHttpOrder("latte", "ada"))), Ct),
            HttpStatusCode.BadRequest, "idempotency-key-too-long");
        await AssertProblemAsync(await Client.SendAsync(Request("ada", "key-12", new StringContent("{\"drink\":", System.Text.Encoding.UTF8, "application/json")), Ct),
            HttpStatusCode.BadRequest, "invalid-body");
        await AssertProblemAsync(await Client.SendAsync(Request("ada", "key-13", JsonContent.Create(new PlaceHttpOrder(new string('x', 1_100_000), "ada"))), Ct),
            HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Equal(0, _handled);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.EndsWith(type, problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        }
    }

    private static HttpRequestMessage Request(string caller, string key, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = content };
        request.Headers.Add("X-Caller", caller);
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private ITransport Transport => _transport ??= Fixture.Connect();

    private OutgoingMessage Message<T>(T message, string name) => new(Destination.Queue(_counter), new Envelope
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = name,
        SentAt = DateTimeOffset.UtcNow,
        Body = JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web),
    });

    private async Task<AcceptedResource> PlaceAsync(PlaceHttpOrder order, AcceptContext accept)
    {
        Interlocked.Increment(ref _handled);
        if (_holdFirst)
        {
            _entered.TrySetResult();
            await _release.Task;
        }

        var id = Guid.CreateVersion7().ToString();
        await using (var create = accept.Connection.CreateCommand())
        {
            create.Transaction = accept.Transaction;
            create.CommandText = $"CREATE TABLE IF NOT EXISTS {Orders} (id TEXT PRIMARY KEY, drink TEXT NOT NULL)";
            await create.ExecuteNonQueryAsync(accept.CancellationToken);
        }

        await using (var insert = accept.Connection.CreateCommand())
        {
            insert.Transaction = accept.Transaction;
            insert.CommandText = $"INSERT INTO {Orders} (id, drink) VALUES ('{id}', '{order.Drink.Replace("'", "''", StringComparison.Ordinal)}')";
            await insert.ExecuteNonQueryAsync(accept.CancellationToken);
        }

        if (order.Drink == "tea")
        {
            throw new AcceptRefusedException("We do not make tea.", "This counter makes coffee.", type: "https://example.com/problems/no-tea");
        }

        await accept.PublishAsync(new HttpOrderPlaced(id, order.Drink), cancellationToken: accept.CancellationToken);
        if (_failNext)
        {
            _failNext = false;
            throw new InvalidOperationException("the card machine is down");
        }

        return AcceptContext.Resource(id, $"/orders/{id}");
    }

    private Task<HttpResponseMessage> PostAsync(string caller, string key, PlaceHttpOrder order) =>
        Client.SendAsync(Request(caller, key, JsonContent.Create(order)), Ct);

    private async Task<IMessageReceiver> ListenAsync()
    {
        var transport = _app!.Services.GetRequiredService<ITransport>();
        await transport.DeclareAsync(new QueueDeclaration(_announced, ["contract.http.order-placed"]), Ct);
        return transport.CreateReceiver(_announced, new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }
}
