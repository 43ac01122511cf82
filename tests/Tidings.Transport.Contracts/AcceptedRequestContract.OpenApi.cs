using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>The OpenAPI document describes what the helpers answer, with the headers on each side.</summary>
public abstract partial class AcceptedRequestContract<TFixture>
{
    [Fact]
    public async Task The_openapi_document_describes_the_request_its_key_every_answer_and_their_headers()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        var paths = document.GetProperty("paths");

        var post = paths.GetProperty("/orders").GetProperty("post");
        var body = Resolve(document, post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(body.GetProperty("properties").TryGetProperty("drink", out _));
        Assert.Contains(post.GetProperty("parameters").EnumerateArray(), p =>
            p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header" && p.GetProperty("required").GetBoolean());
        var responses = post.GetProperty("responses");
        Assert.Equal(["202", "400", "409", "413", "415", "422"], responses.EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["Idempotent-Replayed", "Location", "Retry-After"], responses.GetProperty("202").GetProperty("headers").EnumerateObject().Select(h => h.Name).Order(StringComparer.Ordinal));
        Assert.True(responses.GetProperty("422").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(responses.GetProperty("409").GetProperty("content").TryGetProperty("application/problem+json", out _));

        var status = paths.GetProperty("/orders/{id}");
        var get = status.GetProperty("get").GetProperty("responses");
        Assert.True(get.GetProperty("303").GetProperty("headers").TryGetProperty("Location", out _));
        Assert.True(get.GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        Assert.True(get.GetProperty("200").GetProperty("content").TryGetProperty("application/problem+json", out _)); // a failure
        Assert.Contains(status.GetProperty("get").GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Resource-Token");
        Assert.True(status.GetProperty("delete").GetProperty("responses").TryGetProperty("409", out _));

        var events = paths.GetProperty("/orders/{id}/events").GetProperty("get");
        Assert.True(events.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _));
        Assert.Contains(events.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Last-Event-ID");
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;
}
