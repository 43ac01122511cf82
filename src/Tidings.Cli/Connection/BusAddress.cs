using Microsoft.Extensions.Configuration;

namespace Tidings.Cli.Connection;

/// <summary>
/// Which bus and store the options and the configuration name, resolved before anything is opened: an option wins
/// over the configuration, and a bus named twice or not at all is a usage error.
/// </summary>
public sealed record BusAddress(string? BusFile, string? RabbitMq, string? Postgres, string Schema, string? StoreFile = null)
{
    /// <summary>Whether a bus was named.</summary>
    public bool HasBus => BusFile is not null || RabbitMq is not null;

    /// <summary>Whether a store was named.</summary>
    public bool HasStore => Postgres is not null || StoreFile is not null;

    /// <summary>What the tool talks to, for messages (no passwords).</summary>
    public string Describe() => BusFile is not null ? $"the bus file {BusFile}" : RabbitMq is not null ? $"RabbitMQ at {Redact(RabbitMq)}" : DescribeStore();

    /// <summary>The store, for messages (no passwords).</summary>
    public string DescribeStore() => StoreFile is not null ? $"the database {StoreFile}" : "the PostgreSQL store";

    /// <summary>Resolves the options against the configuration the services read; <paramref name="busRequired"/> makes a missing bus a usage error.</summary>
    public static BusAddress Resolve(ConnectionSettings settings, bool busRequired = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = Configuration(settings.SettingsFile);
        var (bus, rabbitMq) = (settings.Bus, settings.RabbitMq) switch
        {
            ({ } b, { }) => throw new ToolException(ExitCodes.Usage, $"Give one bus, not both: --bus {b} or --rabbitmq."),
            ({ } b, null) => (b, null),
            (null, { } r) => (null, r),
            _ => (configuration.GetConnectionString("bus"), configuration.GetConnectionString("rabbitmq")),
        };
        if (bus is { Length: > 0 } && rabbitMq is { Length: > 0 })
        {
            throw new ToolException(ExitCodes.Usage, "The configuration names two buses (ConnectionStrings:bus and ConnectionStrings:rabbitmq): choose one with --bus or --rabbitmq.");
        }

        if (busRequired && bus is not { Length: > 0 } && rabbitMq is not { Length: > 0 })
        {
            throw new ToolException(ExitCodes.Usage,
                "Which bus? Give --bus PATH (the SQLite bus file) or --rabbitmq URI, or set ConnectionStrings__bus or ConnectionStrings__rabbitmq.");
        }

        var postgres = settings.Postgres;
        if (postgres is null && settings.Service is { } service)
        {
            postgres = configuration.GetConnectionString($"{service}-db") is { Length: > 0 } named ? named
                : throw new ToolException(ExitCodes.Usage, $"No connection string for the service '{service}': set ConnectionStrings:{service}-db (ConnectionStrings__{service}-db), or give --postgres.");
        }

        if (postgres is not null && settings.Db is not null)
        {
            throw new ToolException(ExitCodes.Usage, "Give one store, not both: --db (SQLite) or --service / --postgres (PostgreSQL).");
        }

        var file = bus is { Length: > 0 } ? Path.GetFullPath(FileOf(bus)) : null;
        return new BusAddress(file, file is null && rabbitMq is { Length: > 0 } ? rabbitMq : null, postgres, settings.Schema ?? settings.Service ?? "tidings",
            settings.Db is null ? null : Path.GetFullPath(settings.Db));
    }

    private static IConfiguration Configuration(string? settingsFile)
    {
        var builder = new ConfigurationBuilder();
        if (settingsFile is not null)
        {
            var full = Path.GetFullPath(settingsFile);
            if (!File.Exists(full))
            {
                throw new ToolException(ExitCodes.Usage, $"No settings file at {full}.");
            }

            builder.AddJsonFile(full, optional: false);
        }
        else
        {
            builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        }

        return builder.AddEnvironmentVariables().Build();
    }

    /// <summary>A bus connection string may be a path or <c>Data Source=path</c>.</summary>
    private static string FileOf(string bus)
    {
        const string DataSource = "Data Source=";
        return bus.StartsWith(DataSource, StringComparison.OrdinalIgnoreCase) ? bus[DataSource.Length..].Split(';')[0].Trim() : bus;
    }

    private static string Redact(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? $"{parsed.Host}:{(parsed.IsDefaultPort ? 5672 : parsed.Port)}{parsed.AbsolutePath}" : "(an unreadable URI)";
}
