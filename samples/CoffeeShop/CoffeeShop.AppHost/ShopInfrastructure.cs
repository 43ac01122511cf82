using Microsoft.Extensions.Configuration;
using Npgsql;

namespace CoffeeShop.AppHost;

/// <summary>
/// Which bus and databases the services get: the embedded defaults (a data folder), or RabbitMQ and PostgreSQL that
/// are already running, from connection strings (Aspire's <c>AddRabbitMQ</c> and <c>AddPostgres</c> would need a
/// container engine). The services read the same names: <c>CoffeeShop:Data</c>, <c>ConnectionStrings:rabbitmq</c>,
/// <c>ConnectionStrings:{service}-db</c>.
/// </summary>
public sealed class ShopInfrastructure
{
    private static readonly string[] Services = ["counter", "cashier", "barista", "rewards"];

    private ShopInfrastructure(string data, string? rabbitMq, string? postgres) => (Data, RabbitMq, Postgres) = (data, rabbitMq, postgres);

    /// <summary>The data folder (SQLite bus file and databases), absolute, shared by every service.</summary>
    public string Data { get; }

    public string? RabbitMq { get; }

    /// <summary>The PostgreSQL server, without a database: each service gets <c>coffeeshop_{service}</c> on it.</summary>
    public string? Postgres { get; }

    public static ShopInfrastructure From(IConfiguration configuration, string appHostDirectory)
    {
        var data = Path.GetFullPath(configuration["CoffeeShop:Data"] ?? Path.Combine(appHostDirectory, "data"));
        var infrastructure = configuration["CoffeeShop:Infrastructure"] ?? "embedded";
        switch (infrastructure)
        {
            case "embedded":
                return new ShopInfrastructure(data, null, null);
            case "rabbitmq-postgres":
                var rabbitMq = configuration.GetConnectionString("rabbitmq");
                var postgres = configuration.GetConnectionString("postgres");
                if (string.IsNullOrWhiteSpace(rabbitMq) || string.IsNullOrWhiteSpace(postgres))
                {
                    // Aspire waits for ever on a connection string that is not there: say so instead.
                    throw new InvalidOperationException(
                        "CoffeeShop:Infrastructure=rabbitmq-postgres needs ConnectionStrings:rabbitmq (amqp://user:password@host:5672/) and " +
                        "ConnectionStrings:postgres (Host=...;Username=...;Password=..., without a database): set them as environment variables " +
                        "(ConnectionStrings__rabbitmq, ConnectionStrings__postgres) or in user secrets.");
                }

                return new ShopInfrastructure(data, rabbitMq, postgres);
            default:
                throw new InvalidOperationException($"CoffeeShop:Infrastructure is '{infrastructure}': use 'embedded' (the default) or 'rabbitmq-postgres'.");
        }
    }

    /// <summary>Makes the data folder, or each service's PostgreSQL database where it is missing.</summary>
    public async Task PrepareAsync()
    {
        Directory.CreateDirectory(Data);
        if (Postgres is null)
        {
            return;
        }

        await using var server = new NpgsqlConnection(Postgres);
        await server.OpenAsync();
        foreach (var service in Services)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", server) { Parameters = { new("name", DatabaseOf(service)) } };
            if (await exists.ExecuteScalarAsync() is null)
            {
                // A database name cannot be a parameter; these are ours, made of letters and an underscore.
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseOf(service)}\"", server);
                await create.ExecuteNonQueryAsync();
            }
        }
    }

    /// <summary>Gives <paramref name="project"/> its bus and its own database.</summary>
    public IResourceBuilder<ProjectResource> Apply(IResourceBuilder<ProjectResource> project, string service)
    {
        project.WithEnvironment("CoffeeShop__Data", Data);
        if (RabbitMq is not null && Postgres is not null)
        {
            project.WithEnvironment("ConnectionStrings__rabbitmq", RabbitMq)
                .WithEnvironment($"ConnectionStrings__{service}-db", new NpgsqlConnectionStringBuilder(Postgres) { Database = DatabaseOf(service), MaxPoolSize = MaxConnectionsPerService }.ConnectionString);
        }

        return project;
    }

    /// <summary>
    /// Connections each service may hold: Npgsql's default of 100 a pool is PostgreSQL's default for the whole server,
    /// so under load four services took every slot and the counter's requests failed to connect. Four times 20 leaves
    /// room for psql and the tools.
    /// </summary>
    public const int MaxConnectionsPerService = 20;

    private static string DatabaseOf(string service) => $"coffeeshop_{service}";
}
