using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Cli.Output;
using Tidings.DeadLetters;
using Tidings.Operations;

namespace Tidings.Cli.Operations;

/// <summary>Which queues.</summary>
public sealed class QueuesSettings : ConnectionSettings
{
    /// <summary>The queues to report.</summary>
    [CommandOption("-q|--queue <QUEUE>")]
    [Description("A queue to report (repeat for more). The SQLite bus file lists all of them by itself; RabbitMQ needs them named (AMQP cannot list queues).")]
    public string[] Queue { get; init; } = [];
}

/// <summary><c>tidings queues</c>: each queue's depth, messages in flight, dead letters, oldest message and consumers.</summary>
public sealed class QueuesCommand : AsyncCommand<QueuesSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, QueuesSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.Bus, cancellationToken);
        var queues = connection.Queues;
        IReadOnlyCollection<string> names = settings.Queue;
        if (names.Count == 0 && !queues.CanListQueues)
        {
            names = connection.Address.HasStore
                ? (await connection.DeadLetters.GroupsAsync(DeadLetterQuery.All, cancellationToken)).SelectMany(g => g.Endpoints).Distinct(StringComparer.Ordinal).ToList()
                : [];
            if (names.Count == 0)
            {
                throw new ToolException(ExitCodes.Usage, $"{connection.Address.Describe()} cannot list its queues over AMQP: name them with --queue (repeat for more).");
            }
        }

        var statistics = (await queues.GetQueueStatisticsAsync(names, cancellationToken)).ToList();
        var missing = settings.Queue.Except(statistics.Select(s => s.Queue), StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new ToolException(ExitCodes.NotFound, $"No queue {string.Join(", ", missing.Select(m => $"'{m}'"))} on {connection.Address.Describe()}.");
        }

        if (connection.Address.RabbitMq is not null && connection.Address.HasStore)
        {
            // On RabbitMQ the dead letters are moved into the store: they count with their queue.
            for (var i = 0; i < statistics.Count; i++)
            {
                var stored = await connection.DeadLetters.CountAsync(new DeadLetterQuery { Endpoint = statistics[i].Queue }, cancellationToken);
                statistics[i] = statistics[i] with { DeadLetters = statistics[i].DeadLetters + stored };
            }
        }

        if (settings.Json)
        {
            JsonOutput.Write(new
            {
                queues = statistics.Select(q => new
                {
                    queue = q.Queue, depth = q.Depth, in_flight = q.InFlight, dead_letters = q.DeadLetters,
                    oldest_age_seconds = q.OldestAge is { } age ? Math.Round(age.TotalSeconds, 3) : (double?)null, consumers = q.Consumers,
                }),
            });
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("Queue", "Waiting", "In flight", "Dead letters", "Oldest waiting", "Consumers");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }

        foreach (var q in statistics)
        {
            table.AddRow(new Text(q.Queue), new Text(Number(q.Depth)), new Text(Number(q.InFlight)),
                q.DeadLetters > 0 ? new Markup($"[red]{Number(q.DeadLetters)}[/]") : new Text("0"), new Text(Age(q.OldestAge)), new Text(Number(q.Consumers)));
        }

        AnsiConsole.Write(table.Caption(connection.Address.RabbitMq is not null ? "RabbitMQ over AMQP tells neither the messages in flight nor their age: - marks them." : $"{statistics.Count} queue{(statistics.Count == 1 ? "" : "s")}"));
        return ExitCodes.Success;
    }

    /// <summary>A count, or - where the transport cannot tell.</summary>
    public static string Number(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";

    /// <summary>An age as people say it: 4 s, 12 min, 3 h, 2 d.</summary>
    public static string Age(TimeSpan? age) => age switch
    {
        null => "-",
        { TotalSeconds: < 90 } a => $"{a.TotalSeconds:F0} s",
        { TotalMinutes: < 90 } a => $"{a.TotalMinutes:F0} min",
        { TotalHours: < 48 } a => $"{a.TotalHours:F0} h",
        { } a => $"{a.TotalDays:F0} d",
    };
}
