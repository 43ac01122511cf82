using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CoffeeShop.Cli;

/// <summary>An order as the tool placed it: when, its answer, and (once known) how it ended.</summary>
public sealed class TrackedOrder
{
    public required string Customer { get; init; }

    public long SentAt { get; init; }

    public string? Id { get; set; }

    public string? Location { get; set; }

    public string? Token { get; set; }

    /// <summary>The answer's status code, 0 if there was none (refused, timed out).</summary>
    public int Answer { get; set; }

    public TimeSpan AnswerTime { get; set; }

    /// <summary>served, written-off, refunded; null while in progress.</summary>
    public string? Outcome { get; set; }

    public TimeSpan? FinishedAfter { get; set; }

    public string? ETag { get; set; }
}

/// <summary>A customer of the counter over HTTP: places orders, and reads their status until they end.</summary>
public sealed class ShopClient(Uri counter) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 256 })
    {
        BaseAddress = counter,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static readonly string[] Drinks = ["latte", "flat-white", "cappuccino", "espresso", "mocha", "tea"];

    public Uri Counter => counter;

    /// <summary>Places one order (drink <paramref name="n"/> of the menu, with a key of its own); never throws for the shop's answer.</summary>
    /// <remarks>Times are from <paramref name="due"/> (a <see cref="Stopwatch"/> timestamp: when the order was meant to go), or from now.</remarks>
    public async Task<TrackedOrder> PlaceAsync(string customer, int n, string card = "tok_visa", long? due = null, CancellationToken cancellationToken = default)
    {
        var order = new TrackedOrder { Customer = customer, SentAt = due ?? Stopwatch.GetTimestamp() };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = JsonContent.Create(new { customer, drinks = new[] { new { name = Drinks[n % Drinks.Length], size = "medium" } }, cardToken = card }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            order.Answer = (int)response.StatusCode;
            order.AnswerTime = Stopwatch.GetElapsedTime(order.SentAt);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                (order.Id, order.Location, order.Token) = (body.GetProperty("id").GetString(), body.GetProperty("location").GetString(), body.GetProperty("token").GetString());
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                // The sync mode answers at the end, with the receipt.
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                (order.Id, order.Outcome, order.FinishedAfter) = (body.GetProperty("orderId").GetString(), "served", order.AnswerTime);
            }
            else if (response.StatusCode == HttpStatusCode.PaymentRequired)
            {
                (order.Outcome, order.FinishedAfter) = ("written-off", order.AnswerTime);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            order.AnswerTime = Stopwatch.GetElapsedTime(order.SentAt);
        }

        return order;
    }

    /// <summary>Reads the order's status once (with its ETag); true once it has ended, its outcome set.</summary>
    public async Task<bool> RefreshAsync(TrackedOrder order, CancellationToken cancellationToken)
    {
        if (order.Outcome is not null || order.Location is null)
        {
            return order.Outcome is not null;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, order.Location);
        request.Headers.Add("Resource-Token", order.Token);
        if (order.ETag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", order.ETag);
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.SeeOther or HttpStatusCode.NotModified))
        {
            return false; // a busy or restarting counter says nothing about the order: ask again next time
        }

        order.ETag = response.Headers.ETag?.Tag ?? order.ETag;
        if (response.StatusCode == HttpStatusCode.SeeOther)
        {
            order.Outcome = "served";
        }
        else if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            order.Outcome = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).TryGetProperty("state", out var state) ? state.GetString() : "failed";
        }

        if (order.Outcome is not null)
        {
            order.FinishedAfter = Stopwatch.GetElapsedTime(order.SentAt);
        }

        return order.Outcome is not null;
    }

    /// <summary>The order's history, from its live stream (which ends once the order has).</summary>
    public async Task<IReadOnlyList<(string Kind, string Message, DateTimeOffset At)>> TimelineAsync(TrackedOrder order, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, order.Location + "/events");
        request.Headers.Add("Resource-Token", order.Token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var timeline = new List<(string, string, DateTimeOffset)>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync(cancellationToken)).EnumerateAsync(cancellationToken))
        {
            if (item.EventType == "update")
            {
                var update = JsonDocument.Parse(item.Data).RootElement;
                timeline.Add((update.GetProperty("kind").GetString()!, update.GetProperty("message").GetString()!, update.GetProperty("at").GetDateTimeOffset()));
            }
            else if (item.EventType == "end")
            {
                break;
            }
        }

        return timeline;
    }

    public void Dispose() => _http.Dispose();
}
