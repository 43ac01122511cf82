using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tidings.AspNetCore;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>The status resource and its cancellation: who may read and change it, and what it answers when.</summary>
public abstract partial class AcceptedRequestContract<TFixture>
{
    [Fact]
    public async Task The_status_is_200_while_in_progress_303_when_done_problem_details_when_undone_and_404_to_anyone_else()
    {
        var placed = await (await PostAsync("ada", "key-7", new PlaceHttpOrder("latte", "ada"))).Content.ReadFromJsonAsync<AcceptedBody>(Ct);
        var other = await (await PostAsync("ada", "key-8", new PlaceHttpOrder("mocha", "ada"))).Content.ReadFromJsonAsync<AcceptedBody>(Ct);

        Assert.NotNull(placed);
        var brewing = await WaitForStatusAsync(placed, r => r.StatusCode == HttpStatusCode.OK && r.Headers.ETag?.Tag != "\"0\"");
        var body = await brewing.Content.ReadFromJsonAsync<StatusBody>(Ct);
        Assert.Equal(("brewing", "in-progress"), (body!.Status, body.Outcome));
        Assert.NotNull(brewing.Headers.RetryAfter);
        Assert.True(brewing.Headers.CacheControl?.NoStore);

        // It exists, and still: without its token, with another resource's, a forged one, or from another caller, it does not.
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(placed!.Location, token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(placed.Location, other!.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(placed.Location, "forged")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(placed.Location, placed.Token, caller: "eve")).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await GetStatusAsync(placed.Location, placed.Token, ifNoneMatch: brewing.Headers.ETag!.Tag)).StatusCode);

        await Transport.SendAsync([Message(new HttpOrderServed(placed.Id), "contract.http.order-served")], Ct);
        var served = await WaitForStatusAsync(placed, r => r.StatusCode == HttpStatusCode.SeeOther);
        Assert.Equal($"/orders/{placed.Id}/receipt", served.Headers.Location?.ToString());

        // The result is read with the same token, by the same caller, and by nobody else.
        var receipt = await GetStatusAsync(served.Headers.Location!.ToString(), placed.Token);
        Assert.Equal(new HttpReceipt(placed.Id, "served"), await receipt.Content.ReadFromJsonAsync<HttpReceipt>(Ct));
        Assert.True(receipt.Headers.CacheControl?.NoStore);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(served.Headers.Location.ToString(), token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(served.Headers.Location.ToString(), other!.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync(served.Headers.Location.ToString(), placed.Token, caller: "eve")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetStatusAsync($"/orders/{other.Id}/receipt", other.Token)).StatusCode); // not done: no result

        await WaitForStatusAsync(other, r => r.StatusCode == HttpStatusCode.OK && r.Headers.ETag?.Tag != "\"0\"");
        await Transport.SendAsync([Message(new HttpOrderRefused(other.Id), "contract.http.order-refused")], Ct);
        var refused = await WaitForStatusAsync(other, r => r.Content.Headers.ContentType?.MediaType == "application/problem+json");
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.EndsWith("compensated", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal("refused", problem.GetProperty("state").GetString());
        Assert.Equal(200, problem.GetProperty("status").GetInt32());
    }

    private async Task<HttpResponseMessage> WaitForStatusAsync(AcceptedBody resource, Func<HttpResponseMessage, bool> condition)
    {
        HttpResponseMessage? last = null;
        await Effects.WaitForAsync(async () => condition(last = await GetStatusAsync(resource.Location, resource.Token)), TimeSpan.FromSeconds(20),
            () => $"the status stayed {last?.StatusCode}");
        return last!;
    }

    [Fact]
    public async Task Delete_cancels_work_in_progress_for_its_caller_only_and_is_refused_once_it_is_done()
    {
        var placed = await (await PostAsync("ada", "key-21", new PlaceHttpOrder("latte", "ada"))).Content.ReadFromJsonAsync<AcceptedBody>(Ct);
        Assert.NotNull(placed);
        await WaitForStatusAsync(placed, r => r.StatusCode == HttpStatusCode.OK && r.Headers.ETag?.Tag != "\"0\"");

        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(placed.Location, token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(placed.Location, placed.Token, caller: "eve")).StatusCode);
        var cancelled = await DeleteAsync(placed.Location, placed.Token);
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);

        var undone = await WaitForStatusAsync(placed, r => r.Content.Headers.ContentType?.MediaType == "application/problem+json");
        Assert.Equal("refused", (await undone.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("state").GetString());
        await AssertProblemAsync(await DeleteAsync(placed.Location, placed.Token), HttpStatusCode.Conflict, "not-cancellable");
    }

    private Task<HttpResponseMessage> DeleteAsync(string location, string? token, string caller = "ada")
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, location);
        request.Headers.Add("X-Caller", caller);
        if (token is not null)
        {
            request.Headers.Add("Resource-Token", token);
        }

        return _statusClient!.SendAsync(request, Ct);
    }

    private Task<HttpResponseMessage> GetStatusAsync(string location, string? token, string caller = "ada", string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.Add("X-Caller", caller);
        if (token is not null)
        {
            request.Headers.Add("Resource-Token", token);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return _statusClient!.SendAsync(request, Ct);
    }
}
