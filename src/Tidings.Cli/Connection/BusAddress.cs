using Microsoft.Extensions.Configuration;

namespace Tidings.Cli.Connection;

/// <summary>
/// Which bus and store the options and the configuration name, resolved before anything is opened: an option wins
/// over the configuration, and a bus named twice or not at all is a usage error.
/// </summary>
public sealed record BusAddress(string? BusFile, string? RabbitMq, string? Postgres, string Schema)
{
    /// <summary>What the tool talks to, for messages (no passwords).</summary>
    public string Describe() => BusFile is not null ? $"the bus file {BusFile}" : $"RabbitMQ at {Redact(RabbitMq!)}";

    /// <summary>Resolves the options against the configuration the services read.</summary>
    public static BusAddress Resolve(ConnectionSettings settings)
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

        if (bus is not { Length: > 0 } && rabbitMq is not { Length: > 0 })
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

        var file = bus is { Length: > 0 } ? Path.GetFullPath(FileOf(bus)) : null;
        return new BusAddress(file, file is null ? rabbitMq : null, postgres, settings.Schema ?? settings.Service ?? "tidings");
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
