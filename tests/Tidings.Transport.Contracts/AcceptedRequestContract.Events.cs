using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tidings.AspNetCore;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>The live stream of accepted work: every change in order, resume, heartbeat, the end, and who may listen.</summary>
public abstract partial class AcceptedRequestContract<TFixture>
{
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Every_change_arrives_in_order_a_reconnect_gets_exactly_what_it_missed_and_the_stream_ends_when_done()
    {
        var placed = await PlaceAsync("key-31");
        using (var first = await OpenEventsAsync(_statusClient!, placed))
        {
            Assert.Equal(HttpStatusCode.OK, first.Response.StatusCode);
            Assert.Equal("text/event-stream", first.Response.Content.Headers.ContentType?.MediaType);
            var started = await first.ReadEventAsync();
            Assert.Equal(("update", "1", "started"), (started!.Type, started.Id, Kind(started)));
            var brewing = await first.ReadEventAsync();
            Assert.Equal(("status", "brewing", "in-progress"), (brewing!.Type, Field(brewing, "status"), Field(brewing, "outcome")));
        }

        // Served while nobody listened: the reconnect after event 1 gets 2 and 3, then the end.
        await Transport.SendAsync([Message(new HttpOrderServed(placed.Id), "contract.http.order-served")], Ct);
        await WaitForStatusAsync(placed, r => r.StatusCode == HttpStatusCode.SeeOther);
        using (var resumed = await OpenEventsAsync(_statusClient!, placed, lastEventId: "1"))
        {
            var missed = new List<SseRecord>();
            while (await resumed.ReadEventAsync() is { } record)
            {
                missed.Add(record);
            }

            Assert.Equal(["update 2 handled", "update 3 completed", "end"], missed.Select(Describe));
            Assert.Equal(("served", "succeeded", $"/orders/{placed.Id}/receipt"), (Field(missed[^1], "status"), Field(missed[^1], "outcome"), Field(missed[^1], "location")));
            Assert.Equal("3.end", missed[^1].Id);
        }

        // Cut off after the last update, before the end: the end again, alone.
        using (var lastOnly = await OpenEventsAsync(_statusClient!, placed, lastEventId: "3"))
        {
            Assert.Equal("end", (await lastOnly.ReadEventAsync())!.Type);
            Assert.Null(await lastOnly.ReadEventAsync());
        }

        // Nothing left to tell: 204 tells an EventSource to stop reconnecting.
        using var done = await OpenEventsAsync(_statusClient!, placed, lastEventId: "3.end");
        Assert.Equal(HttpStatusCode.NoContent, done.Response.StatusCode);
    }

    [Fact]
    public async Task A_live_client_sees_each_change_as_it_happens_and_a_heartbeat_while_nothing_does()
    {
        var placed = await PlaceAsync("key-32");
        using var live = await OpenEventsAsync(_statusClient!, placed);
        Assert.Equal("update 1 started", Describe((await live.ReadEventAsync())!));
        Assert.Equal("status", (await live.ReadEventAsync())!.Type);

        // Quiet now: the next thing on the wire is a comment, which proxies see as traffic and clients ignore.
        var quiet = await live.ReadAsync();
        Assert.Equal((true, "heartbeat"), (quiet!.IsComment, quiet.Data));

        await Transport.SendAsync([Message(new HttpOrderRefused(placed.Id), "contract.http.order-refused")], Ct);
        var rest = new List<SseRecord>();
        while (await live.ReadEventAsync() is { } record)
        {
            rest.Add(record);
        }

        // The refusal, then the end: failed, with why.
        Assert.Equal(["update 2 handled", "end"], rest.Select(Describe));
        var end = rest[^1];
        Assert.Equal(("end", "failed", "refused"), (end.Type, Field(end, "outcome"), Field(end, "status")));
        Assert.EndsWith("compensated", JsonDocument.Parse(end.Data).RootElement.GetProperty("failure").GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_of_another_instance_sees_the_changes_the_first_instance_makes()
    {
        var (other, address) = await StartInstanceAsync(runsTheSaga: false);
        await using var otherScope = other;
        using var otherClient = new HttpClient { BaseAddress = new Uri(address) };
        var placed = await PlaceAsync("key-33");

        // Connected to the instance that runs no saga: it learns of each change only from the shared database.
        using var live = await OpenEventsAsync(otherClient, placed);
        Assert.Equal("update 1 started", Describe((await live.ReadEventAsync())!));
        Assert.Equal("status", (await live.ReadEventAsync())!.Type);
        await Transport.SendAsync([Message(new HttpOrderServed(placed.Id), "contract.http.order-served")], Ct);
        Assert.Equal("update 2 handled", Describe((await live.ReadEventAsync())!));
        await other.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Nobody_else_may_listen_and_a_refusal_is_problem_details_even_to_an_event_stream_client()
    {
        var placed = await PlaceAsync("key-34");
        var other = await PlaceAsync("key-35");
        foreach (var (token, caller) in new[] { ((string?)null, "ada"), (other.Token, "ada"), ("forged", "ada"), (placed.Token, "eve") })
        {
            using var refused = await OpenEventsAsync(_statusClient!, placed with { Token = token! }, caller: caller);
            Assert.Equal(HttpStatusCode.NotFound, refused.Response.StatusCode);
            Assert.Equal("application/problem+json", refused.Response.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Response.Headers.CacheControl?.NoStore);
        }

        // Where a header cannot be set (a browser's EventSource), the token comes in the query.
        using (var byQuery = await OpenEventsAsync(_statusClient!, placed with { Location = placed.Location + "/events?token=" + Uri.EscapeDataString(placed.Token), Token = null! }, path: ""))
        {
            Assert.Equal(HttpStatusCode.OK, byQuery.Response.StatusCode);
            Assert.Equal("update 1 started", Describe((await byQuery.ReadEventAsync())!));
        }

        using var badResume = await OpenEventsAsync(_statusClient!, placed, lastEventId: "yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badResume.Response.StatusCode);
        Assert.EndsWith("invalid-last-event-id", (await badResume.Response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    private async Task<AcceptedBody> PlaceAsync(string key)
    {
        var response = await PostAsync("ada", key, new PlaceHttpOrder("latte", "ada"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AcceptedBody>(Ct))!;
    }

    private static async Task<EventsConnection> OpenEventsAsync(HttpClient client, AcceptedBody resource, string? lastEventId = null, string caller = "ada", string path = "/events")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, resource.Location + path);
        request.Headers.Add("X-Caller", caller);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (resource.Token is not null)
        {
            request.Headers.Add("Resource-Token", resource.Token);
        }

        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        return new EventsConnection(response, new SseTestReader(await response.Content.ReadAsStreamAsync(Ct)));
    }

    private static string Kind(SseRecord record) => Field(record, "kind");

    private static string Field(SseRecord record, string name) => JsonDocument.Parse(record.Data).RootElement.GetProperty(name).GetString()!;

    private static string Describe(SseRecord record) => record.Type == "update" ? $"update {record.Id} {Kind(record)}" : record.Type;

    /// <summary>An open stream; a read that waits longer than 30 s fails the test rather than hanging it.</summary>
    private sealed class EventsConnection(HttpResponseMessage response, SseTestReader reader) : IDisposable
    {
        private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        public HttpResponseMessage Response { get; } = response;

        public Task<SseRecord?> ReadAsync() => Bounded(reader.ReadAsync);

        public Task<SseRecord?> ReadEventAsync() => Bounded(reader.ReadEventAsync);

        public void Dispose()
        {
            reader.Dispose();
            Response.Dispose();
            _timeout.Dispose();
        }

        private async Task<SseRecord?> Bounded(Func<CancellationToken, Task<SseRecord?>> read)
        {
            _timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                return await read(_timeout.Token);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                throw new TimeoutException("Nothing came on the event stream for 30 s.");
            }
        }
    }
}
