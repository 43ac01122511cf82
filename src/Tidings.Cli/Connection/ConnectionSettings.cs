using System.ComponentModel;
using Spectre.Console.Cli;

namespace Tidings.Cli.Connection;

/// <summary>
/// Where the bus and the store are, and how to print. Each option falls back to the configuration the services read
/// (an appsettings file, then environment variables such as <c>ConnectionStrings__rabbitmq</c>).
/// </summary>
public class ConnectionSettings : CommandSettings
{
    /// <summary>The SQLite bus file.</summary>
    [CommandOption("--bus <PATH>")]
    [Description("The SQLite bus file (else ConnectionStrings:bus).")]
    public string? Bus { get; init; }

    /// <summary>The RabbitMQ broker.</summary>
    [CommandOption("--rabbitmq <URI>")]
    [Description("The RabbitMQ broker, amqp://user:password@host:port/vhost (else ConnectionStrings:rabbitmq).")]
    public string? RabbitMq { get; init; }

    /// <summary>The service's own SQLite database (its store).</summary>
    [CommandOption("--db <PATH>")]
    [Description("The service's own SQLite database, its store (outbox, schedules, sagas).")]
    public string? Db { get; init; }

    /// <summary>The service whose store to use: its connection string is <c>ConnectionStrings:{service}-db</c>.</summary>
    [CommandOption("--service <NAME>")]
    [Description("The service whose PostgreSQL store keeps RabbitMQ's dead letters: ConnectionStrings:NAME-db, schema NAME.")]
    public string? Service { get; init; }

    /// <summary>A PostgreSQL store's connection string, in place of the service's.</summary>
    [CommandOption("--postgres <CONNECTION>")]
    [Description("A PostgreSQL store's connection string, in place of --service's.")]
    public string? Postgres { get; init; }

    /// <summary>The store's schema.</summary>
    [CommandOption("--schema <NAME>")]
    [Description("The PostgreSQL store's schema (default: the service's name, else tidings).")]
    public string? Schema { get; init; }

    /// <summary>An appsettings file to read the connection strings from.</summary>
    [CommandOption("--settings <FILE>")]
    [Description("An appsettings file to read connection strings from (default: appsettings.json here, if there is one).")]
    public string? SettingsFile { get; init; }

    /// <summary>JSON on standard output, for scripts.</summary>
    [CommandOption("--json")]
    [Description("Print JSON for scripts instead of tables.")]
    public bool Json { get; init; }

    /// <summary>Tidings' own log on standard error.</summary>
    [CommandOption("--verbose")]
    [Description("Write Tidings' log (information and up) to standard error.")]
    public bool Verbose { get; init; }
}
