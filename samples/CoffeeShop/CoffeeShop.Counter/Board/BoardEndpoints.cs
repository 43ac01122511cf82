using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CoffeeShop.ServiceDefaults;
using Tidings.Transport;

namespace CoffeeShop.Counter.Board;

/// <summary>Everything the board draws, at one moment.</summary>
public sealed record BoardSnapshot(
    IReadOnlyList<OrderCard> Orders, IReadOnlyDictionary<string, long> Finished, IReadOnlyList<ServiceLight> Services, IReadOnlyList<QueueGauge> Queues,
    DateTimeOffset At);

/// <summary>
/// The board's data: everyone's orders, so behind the shop's key (loopback only without one). <c>GET /board</c> is a
/// snapshot; <c>GET /board/events</c> streams one (<c>board</c> events) whenever an order changes, and at least every
/// two seconds while the services or queues change.
/// </summary>
public static class BoardEndpoints
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddBoard(this IServiceCollection services)
    {
        services.AddSingleton<OrderBoard>().AddHostedService(s => s.GetRequiredService<OrderBoard>());
        services.AddSingleton<ShopStatus>();

        // A probe answers in a second or says the service is down: no retries, no breaker.
#pragma warning disable EXTEXP0001 // The documented way to take the service defaults' handler off one client.
        services.AddHttpClient("board-probes", http => http.Timeout = TimeSpan.FromSeconds(1)).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return services;
    }

    public static IEndpointRouteBuilder MapBoard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/board", async (OrderBoard board, ShopStatus status, CancellationToken cancellationToken) =>
            TypedResults.Ok(await SnapshotAsync(board, status, cancellationToken))).RequireShopKey();
        app.MapGet("/board/events", (OrderBoard board, ShopStatus status, TimeProvider time, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(StreamAsync(board, status, time, cancellationToken))).RequireShopKey();
        return app;
    }

    private static async Task<BoardSnapshot> SnapshotAsync(OrderBoard board, ShopStatus status, CancellationToken cancellationToken)
    {
        board.Touch();
        var (cards, finished) = board.Snapshot();
        var (services, queues) = await status.ReadAsync(cancellationToken);
        return new BoardSnapshot(cards, finished, services, queues, DateTimeOffset.UtcNow);
    }

    private static async IAsyncEnumerable<SseItem<BoardSnapshot>> StreamAsync(
        OrderBoard board, ShopStatus status, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var watching = board.Watch();
        string? last = null;
        var (services, queues) = await status.ReadAsync(cancellationToken);
        var statusAt = time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            var ticket = board.Changes.Ticket;
            if (time.GetElapsedTime(statusAt) >= StatusInterval)
            {
                (services, queues) = await status.ReadAsync(cancellationToken);
                statusAt = time.GetTimestamp();
            }

            var (cards, finished) = board.Snapshot();
            var snapshot = new BoardSnapshot(cards, finished, services, queues, time.GetUtcNow());

            // Only what changed goes out (the time it was taken aside).
            var shape = JsonSerializer.Serialize(snapshot with { At = default }, JsonSerializerOptions.Web);
            if (shape != last)
            {
                last = shape;
                yield return new SseItem<BoardSnapshot>(snapshot, "board");
            }

            // An order's change wakes the board at once; the services and queues are looked at every two seconds.
            await WakeSignal.WaitAsync(ticket, StatusInterval, cancellationToken);
        }
    }
}
