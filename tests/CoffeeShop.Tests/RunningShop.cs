using System.Net.Http.Json;
using System.Text.Json;
using CoffeeShop.Cli;
using Microsoft.Data.Sqlite;

namespace CoffeeShop.Tests;

/// <summary>
/// The whole shop as real processes on the embedded defaults, in a data folder of the test's own: the payment gateway,
/// cashier, counter, baristas and rewards. Baristas can be killed (<c>kill -9</c>) and started again.
/// </summary>
public sealed class RunningShop : IAsyncDisposable
{
    private readonly List<ServiceRun> _services = [];
    private readonly (string Key, string Value)[] _baristaSettings;

    private readonly Func<string, (string Key, string Value)[]> _infrastructure;

    private RunningShop(string data, (string Key, string Value)[] baristaSettings, Func<string, (string Key, string Value)[]>? infrastructure) =>
        (Data, _baristaSettings, _infrastructure) = (data, baristaSettings, infrastructure ?? (_ => []));

    public string Data { get; }

    public Uri Gateway { get; private set; } = null!;

    public Uri Counter { get; private set; } = null!;

    public Uri Rewards { get; private set; } = null!;

    public List<ServiceRun> Baristas { get; } = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Everything, with <paramref name="baristas"/> baristas, each given <paramref name="baristaSettings"/>;
    /// <paramref name="infrastructure"/> gives each service (by name) its bus and database settings, if not the embedded ones.
    /// </summary>
    public static async Task<RunningShop> StartAsync(
        int baristas = 2, (string Key, string Value)[]? baristaSettings = null, (string Key, string Value)[]? gatewaySettings = null,
        Func<string, (string Key, string Value)[]>? infrastructure = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "coffeeshop-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var shop = new RunningShop(data, baristaSettings ?? [], infrastructure);
        try
        {
            shop.Gateway = await shop.StartAsync("CoffeeShop.PaymentGateway", gatewaySettings ?? []);
            var cashier = await shop.StartAsync("CoffeeShop.Cashier", ("CoffeeShop__PaymentGateway", shop.Gateway.ToString()));
            shop.Rewards = await shop.StartAsync("CoffeeShop.Rewards");
            shop.Counter = await shop.StartAsync("CoffeeShop.Counter", ("CoffeeShop__BaristaDeadlineSeconds", "300"),
                ("CoffeeShop__Services__cashier", cashier.ToString()), ("CoffeeShop__Services__rewards", shop.Rewards.ToString()));
            for (var i = 0; i < baristas; i++)
            {
                await shop.StartBaristaAsync();
            }
        }
        catch
        {
            await shop.DisposeAsync();
            throw;
        }

        return shop;
    }

    public async Task<ServiceRun> StartBaristaAsync()
    {
        var name = $"barista-{Baristas.Count + 1}";
        var (service, _) = await ServiceProcess.StartAsync("CoffeeShop.Barista", Data, [.. _baristaSettings, .. _infrastructure("barista"), ("Barista__Name", name)]);
        _services.Add(service);
        Baristas.Add(service);
        return service;
    }

    /// <summary>What every process said, for a failure's message.</summary>
    public string Output => string.Join(Environment.NewLine + "----" + Environment.NewLine, _services.Select(s => s.Output));

    /// <summary>The gateway's ledger: charges (with their keys) and refunds.</summary>
    public async Task<JsonElement> LedgerAsync()
    {
        using var http = new HttpClient { BaseAddress = Gateway };
        return await http.GetFromJsonAsync<JsonElement>("/ledger", Ct);
    }

    /// <summary>A customer's stars, read from this machine (no shop key is configured: loopback only).</summary>
    public async Task<(long Stars, long Orders)> StarsAsync(string customer)
    {
        using var http = new HttpClient { BaseAddress = Rewards };
        var balance = await http.GetFromJsonAsync<JsonElement>($"/customers/{Uri.EscapeDataString(customer)}/stars", Ct);
        return (balance.GetProperty("stars").GetInt64(), balance.GetProperty("orders").GetInt64());
    }

    /// <summary>Messages waiting or in flight in queue <paramref name="queue"/> of the bus file.</summary>
    public async Task<long> QueuedAsync(string queue, bool leasedOnly = false)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Data, "bus.db")};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM messages WHERE queue = $queue" + (leasedOnly ? " AND lease_owner IS NOT NULL" : "");
        command.Parameters.AddWithValue("$queue", queue);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_services))
        {
            service.Dispose();
        }

        await Task.Yield();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder.
        }
    }

    private async Task<Uri> StartAsync(string name, params (string Key, string Value)[] settings)
    {
        var service = name["CoffeeShop.".Length..].ToLowerInvariant();
        var (process, address) = await ServiceProcess.StartAsync(name, Data, [.. settings, .. _infrastructure(service)]);
        _services.Add(process);
        return address;
    }
}
