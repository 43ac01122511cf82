using System.ComponentModel;
using System.Globalization;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.DeadLetters;

namespace Tidings.Cli.DeadLetters;

/// <summary>Which dead letters: by endpoint, reason, exception type, message name, time and failure group.</summary>
public class DeadLetterFilterSettings : ConnectionSettings
{
    /// <summary>The endpoint (queue) the messages failed in.</summary>
    [CommandOption("-e|--endpoint <QUEUE>")]
    [Description("Only those that failed in this endpoint (queue).")]
    public string? Endpoint { get; init; }

    /// <summary>Why they were dead-lettered.</summary>
    [CommandOption("--reason <REASON>")]
    [Description("Only those dead-lettered for this reason (handler-failed, unknown-message-type, malformed, ...).")]
    public string? Reason { get; init; }

    /// <summary>The exception's full type name.</summary>
    [CommandOption("--exception <TYPE>")]
    [Description("Only those whose handler threw this exception type (its full name).")]
    public string? ExceptionType { get; init; }

    /// <summary>The message's name.</summary>
    [CommandOption("--message <NAME>")]
    [Description("Only messages of this name.")]
    public string? MessageName { get; init; }

    /// <summary>Dead-lettered at or after.</summary>
    [CommandOption("--since <TIME>")]
    [Description("Only those dead-lettered since TIME: an ISO 8601 time, or a span ago (30m, 2h, 7d).")]
    public string? Since { get; init; }

    /// <summary>Dead-lettered before.</summary>
    [CommandOption("--until <TIME>")]
    [Description("Only those dead-lettered before TIME (as --since).")]
    public string? Until { get; init; }

    /// <summary>A failure group's id, as <c>dead-letters groups</c> shows it.</summary>
    [CommandOption("-g|--group <ID>")]
    [Description("Only those of this failure group (its id, from dead-letters groups).")]
    public string? Group { get; init; }

    /// <summary>Whether any filter was given.</summary>
    public bool Filters => (Endpoint ?? Reason ?? ExceptionType ?? MessageName ?? Since ?? Until ?? Group) is not null;

    /// <inheritdoc />
    public override Spectre.Console.ValidationResult Validate() =>
        TryTime(Since, DateTimeOffset.MinValue, out _) && TryTime(Until, DateTimeOffset.MinValue, out _) ? base.Validate()
            : Spectre.Console.ValidationResult.Error("--since and --until take an ISO 8601 time (2026-12-01T08:00Z) or a span ago (30m, 2h, 7d).");

    /// <summary>The query, its endpoint and group checked: an unknown one is a <see cref="ExitCodes.NotFound"/>.</summary>
    public async Task<DeadLetterQuery> ToQueryAsync(ToolConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        TryTime(Since, connection.Now, out var since);
        TryTime(Until, connection.Now, out var until);
        var query = new DeadLetterQuery
        {
            Endpoint = Endpoint, Reason = Reason, ExceptionType = ExceptionType, MessageName = MessageName, Since = since, Until = until,
        };
        if (Endpoint is not null && await connection.Health.CountMessagesAsync(Endpoint, cancellationToken).ConfigureAwait(false) is null
            && await connection.DeadLetters.CountAsync(query, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new ToolException(ExitCodes.NotFound, $"No queue '{Endpoint}' on {connection.Address.Describe()}.");
        }

        if (Group is null)
        {
            return query;
        }

        var groups = await connection.DeadLetters.GroupsAsync(query, cancellationToken).ConfigureAwait(false);
        return groups.FirstOrDefault(g => string.Equals(g.Key.Id, Group, StringComparison.OrdinalIgnoreCase)) is { } group
            ? query with { Group = group.Key }
            : throw new ToolException(ExitCodes.NotFound, $"No failure group '{Group}'{(query == DeadLetterQuery.All ? "" : " among these dead letters")} (tidings dead-letters groups lists them).");
    }

    /// <summary>Reads a time or a span before <paramref name="now"/> (validation passes any instant: only the form is checked).</summary>
    private static bool TryTime(string? text, DateTimeOffset now, out DateTimeOffset? time)
    {
        time = null;
        if (text is null)
        {
            return true;
        }

        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            TimeSpan? ago = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (ago is { } span)
            {
                time = now == DateTimeOffset.MinValue ? now : now - span;
                return true;
            }
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            time = at;
            return true;
        }

        return false;
    }
}
