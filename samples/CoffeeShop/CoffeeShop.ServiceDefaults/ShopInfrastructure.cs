using Microsoft.Extensions.Configuration;
using Tidings;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;

namespace CoffeeShop.ServiceDefaults;

/// <summary>
/// A service's bus and database. On the embedded defaults: the SQLite bus file and the service's own SQLite database
/// under the data folder (<c>CoffeeShop:Data</c>, default <c>data</c>). With the <c>rabbitmq</c> connection string,
/// RabbitMQ; with <c>{service}-db</c>, the service's own PostgreSQL database (schema <c>{service}</c>).
/// </summary>
public static class ShopInfrastructure
{
    public static TidingsBuilder UseShopInfrastructure(this TidingsBuilder tidings, IConfiguration configuration, string service)
    {
        ArgumentNullException.ThrowIfNull(tidings);
        ArgumentNullException.ThrowIfNull(configuration);
        var data = configuration["CoffeeShop:Data"] ?? "data";
        Directory.CreateDirectory(data);
        if (configuration.GetConnectionString("rabbitmq") is { Length: > 0 } rabbitMq)
        {
            tidings.UseRabbitMq(rabbitMq);
        }
        else
        {
            tidings.UseSqlite(Path.Combine(data, "bus.db"));
        }

        if (configuration.GetConnectionString($"{service}-db") is { Length: > 0 } postgres)
        {
            tidings.UsePostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = postgres, Schema = service });
        }
        else
        {
            tidings.UseSqliteStore(Path.Combine(data, $"{service}.db"));
        }

        return tidings;
    }
}
