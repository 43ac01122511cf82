using System.Net;
using Npgsql;
using Tidings.Transport.Contracts;

namespace CoffeeShop.Tests;

/// <summary>
/// The same shop on RabbitMQ and PostgreSQL: each service its own database (as the AppHost gives them with
/// CoffeeShop:Infrastructure=rabbitmq-postgres), the broker in a virtual host of this test's own.
/// </summary>
public sealed class BrokerShopTests : IAsyncLifetime
{
    private static readonly string[] Services = ["counter", "cashier", "barista", "rewards"];
    private static readonly string Server = Environment.GetEnvironmentVariable("TIDINGS_POSTGRES") ?? "Host=127.0.0.1;Username=tidings;Password=tidings;Database=postgres";
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private (string Name, Uri Uri) _virtualHost;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _virtualHost = await RabbitMqCtl.AddVirtualHostAsync();
        await using var server = new NpgsqlConnection(Server);
        await server.OpenAsync(Ct);
        foreach (var service in Services)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseOf(service)}\"", server);
            await create.ExecuteNonQueryAsync(Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_virtualHost.Name is not null)
        {
            await RabbitMqCtl.RunAsync("delete_vhost", _virtualHost.Name);
        }

        await using var server = new NpgsqlConnection(Server);
        await server.OpenAsync(CancellationToken.None);
        foreach (var service in Services)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseOf(service)}\" WITH (FORCE)", server);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Orders_are_served_written_off_and_earn_their_stars_once_on_rabbitmq_and_postgresql()
    {
        await using var shop = await RunningShop.StartAsync(baristas: 2, [("Barista__DrinkMs", "50")], infrastructure: Infrastructure);
        using var customer = new CounterClient(shop.Counter);
        var served = new[] { await customer.PlaceAsync("Ivy"), await customer.PlaceAsync("Ivy") };
        var declined = await customer.PlaceAsync("Jo", card: "tok_declined");

        foreach (var order in served)
        {
            Assert.Equal(HttpStatusCode.SeeOther, (await customer.WaitForStatusAsync(order, r => r.StatusCode == HttpStatusCode.SeeOther)).StatusCode);
        }

        var writtenOff = await customer.WaitForStatusAsync(declined, r => r.Content.Headers.ContentType?.MediaType == "application/problem+json");
        Assert.Contains("payment-declined", await writtenOff.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        (long, long) stars = default;
        await Effects.WaitForAsync(async () => (stars = await shop.StarsAsync("Ivy")) == (10, 2), TimeSpan.FromSeconds(45), () => $"Ivy has {stars}");
        Assert.Equal((0L, 0L), await shop.StarsAsync("Jo"));

        // The services kept their data in their own databases, not in the embedded files.
        Assert.False(File.Exists(Path.Combine(shop.Data, "bus.db")), "the bus file was made: the services did not use RabbitMQ");
        Assert.Equal(2, await CountAsync("rewards", "SELECT SUM(orders) FROM rewards_stars"));
        Assert.Equal(3, await CountAsync("counter", "SELECT COUNT(*) FROM counter.sagas"));
    }

    private (string Key, string Value)[] Infrastructure(string service) => Services.Contains(service)
        ? [("ConnectionStrings__rabbitmq", _virtualHost.Uri.ToString()),
           ($"ConnectionStrings__{service}-db", new NpgsqlConnectionStringBuilder(Server) { Database = DatabaseOf(service) }.ConnectionString)]
        : [];

    private async Task<long> CountAsync(string service, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server) { Database = DatabaseOf(service) }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private string DatabaseOf(string service) => $"coffeeshop_{service}_{_suffix}";
}
