using Tidings.Transport;

namespace CoffeeShop.Counter.Board;

/// <summary>A service, and whether it answers its health check.</summary>
public sealed record ServiceLight(string Name, bool Up, string Detail);

/// <summary>A queue, and how many messages wait in it (null: not there yet).</summary>
public sealed record QueueGauge(string Name, long? Waiting);

/// <summary>
/// What the board shows of the shop beyond its orders: which services answer their health checks (their addresses are
/// <c>CoffeeShop:Services:{name}</c>, which the AppHost sets), and how many messages wait in each service's queue.
/// </summary>
public sealed class ShopStatus(IConfiguration configuration, ITransport transport, IHttpClientFactory http) : IDisposable
{
    /// <summary>The services' queues, in the order of an order's journey.</summary>
    public static readonly string[] Queues = ["counter", "cashier", "barista", "rewards"];

    private readonly SemaphoreSlim _reading = new(1, 1);
    private (IReadOnlyList<ServiceLight> Services, IReadOnlyList<QueueGauge> Queues, long At)? _last;

    public void Dispose() => _reading.Dispose();

    /// <summary>The services and queues, looked at again at most every two seconds however many boards ask.</summary>
    public async Task<(IReadOnlyList<ServiceLight> Services, IReadOnlyList<QueueGauge> Queues)> ReadAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (_last is not { } last || System.Diagnostics.Stopwatch.GetElapsedTime(last.At) >= TimeSpan.FromSeconds(2))
            {
                var (services, queues) = await LookAsync(cancellationToken);
                _last = last = (services, queues, System.Diagnostics.Stopwatch.GetTimestamp());
            }

            return (last.Services, last.Queues);
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task<(IReadOnlyList<ServiceLight> Services, IReadOnlyList<QueueGauge> Queues)> LookAsync(CancellationToken cancellationToken)
    {
        var services = new List<ServiceLight> { new("counter", true, "this service") };
        var probes = configuration.GetSection("CoffeeShop:Services").GetChildren().Select(s => ProbeAsync(s.Key, s.Value, cancellationToken)).ToList();
        services.AddRange(await Task.WhenAll(probes));
        var queues = new List<QueueGauge>();
        foreach (var queue in Queues)
        {
            queues.Add(new QueueGauge(queue, await CountAsync(queue, cancellationToken)));
        }

        return (services, queues);
    }

    private async Task<long?> CountAsync(string queue, CancellationToken cancellationToken)
    {
        if (transport is not ITransportHealth health)
        {
            return null;
        }

        try
        {
            return await health.CountMessagesAsync(queue, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<ServiceLight> ProbeAsync(string name, string? address, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            return new ServiceLight(name, false, $"no address ({address})");
        }

        try
        {
            using var client = http.CreateClient("board-probes");
            using var response = await client.GetAsync(new Uri(uri, "/health"), cancellationToken);
            return new ServiceLight(name, response.IsSuccessStatusCode, response.IsSuccessStatusCode ? "healthy" : $"{(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new ServiceLight(name, false, "not answering");
        }
    }
}
