using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Tidings.DeadLetters;

namespace Tidings.Cli.Output;

/// <summary>Dead letters and failure groups as people read them (tables) and as scripts read them (JSON shapes).</summary>
public static class DeadLetterViews
{
    /// <summary>A time as the tables show it: UTC, to the second.</summary>
    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";

    /// <summary>One row of <c>dead-letters list</c>, for JSON.</summary>
    public static object Summary(DeadLetter d) => DeadLetterJson.Of(d);

    /// <summary>All of one dead letter, for JSON: its summary, headers, body and exception.</summary>
    public static object Details(DeadLetter d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var (text, base64) = Body(d.Envelope.Body, indent: false);
        return new DeadLetterDetailsJson(DeadLetterJson.Of(d), d.ExceptionText, d.Envelope.Headers, text, base64);
    }

    /// <summary>One failure group, for JSON.</summary>
    public static object Group(FailureGroup g)
    {
        ArgumentNullException.ThrowIfNull(g);
        return new
        {
            id = g.Key.Id,
            count = g.Count,
            reason = g.Key.Reason,
            exception_type = g.Key.ExceptionType,
            user_frame = g.Key.UserFrame,
            first = g.First,
            last = g.Last,
            endpoints = g.Endpoints,
        };
    }

    /// <summary>The table of <c>dead-letters list</c>.</summary>
    public static Table ListTable(IReadOnlyList<DeadLetter> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Dead-lettered (UTC)", "Endpoint", "Message", "Reason", "Exception", "Replays");
        NoWrap(table, 0, 1, 6);
        foreach (var d in items)
        {
            table.AddRow(Cell(d.Id), Cell(Time(d.DeadLetteredAt)), Cell(d.Endpoint), Cell(d.Envelope.MessageName), Cell(d.Reason),
                Cell(ShortType(d.ExceptionType)), Cell(d.ReplayCount.ToString(CultureInfo.InvariantCulture)));
        }

        return table;
    }

    /// <summary>The table of <c>dead-letters groups</c>.</summary>
    public static Table GroupsTable(IReadOnlyList<FailureGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Group", "Count", "Failure", "Where (first frame in your code)", "Endpoints", "First (UTC)", "Last (UTC)");
        table.Columns[1].RightAligned();
        NoWrap(table, 0, 1, 5, 6);
        foreach (var g in groups)
        {
            table.AddRow(Cell(g.Key.Id), Cell(g.Count.ToString("N0", CultureInfo.InvariantCulture)), Cell(g.Key.ExceptionType ?? g.Key.Reason),
                Cell(g.Key.UserFrame), Cell(string.Join(", ", g.Endpoints)), Cell(Time(g.First)), Cell(Time(g.Last)));
        }

        return table;
    }

    /// <summary>What <c>dead-letters show</c> prints: the facts, the headers, the body and the exception.</summary>
    public static IEnumerable<Spectre.Console.Rendering.IRenderable> Show(DeadLetter d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (name, value) in new (string, string?)[]
        {
            ("Id", d.Id), ("Endpoint", d.Endpoint), ("Message", d.Envelope.MessageName), ("Message id", d.Envelope.MessageId.ToString()),
            ("Dead-lettered", Time(d.DeadLetteredAt) + " UTC"), ("Reason", d.Reason), ("Attempts", d.Attempts.ToString(CultureInfo.InvariantCulture)),
            ("Replays", d.ReplayCount.ToString(CultureInfo.InvariantCulture)), ("Failure group", d.Group.Id),
        })
        {
            facts.AddRow(new Markup($"[bold]{name}[/]"), Cell(value));
        }

        yield return facts;
        var headers = new Table().Border(TableBorder.Simple).Title("Headers").AddColumns("Header", "Value");
        foreach (var (name, value) in d.Envelope.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            if (name != TidingsHeaders.ExceptionStackTrace)
            {
                headers.AddRow(Cell(name), Cell(value));
            }
        }

        yield return headers;
        var (text, base64) = Body(d.Envelope.Body, indent: true);
        yield return new Panel(new Text(text ?? $"(not UTF-8; base64) {base64}")).Header("Body").Expand();
        if (d.ExceptionText is { } exception)
        {
            yield return new Panel(new Text(exception)).Header($"Exception: {d.ExceptionType}".EscapeMarkup()).Expand();
        }
    }

    private static Text Cell(string? value) => new(value ?? "-");

    /// <summary>Ids, counts and times stay on one line; the long texts beside them wrap instead.</summary>
    private static void NoWrap(Table table, params int[] columns)
    {
        foreach (var column in columns)
        {
            table.Columns[column].NoWrap();
        }
    }

    private static string? ShortType(string? type) => type?[(type.LastIndexOf('.') + 1)..];

    /// <summary>A UTF-8 body as text (JSON indented, if asked), anything else in base64.</summary>
    private static (string? Text, string? Base64) Body(ReadOnlyMemory<byte> body, bool indent)
    {
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body.Span);
            if (!indent)
            {
                return (text, null);
            }

            try
            {
                using var json = JsonDocument.Parse(body);
                return (JsonSerializer.Serialize(json.RootElement, Indented), null);
            }
            catch (JsonException)
            {
                return (text, null);
            }
        }
        catch (DecoderFallbackException)
        {
            return (null, Convert.ToBase64String(body.Span));
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

/// <summary>A dead letter as <c>--json</c> lists it (snake_case on the wire).</summary>
public record DeadLetterJson(string Id, string? Endpoint, Guid MessageId, string MessageName, DateTimeOffset? DeadLetteredAt, string Reason,
    string? ExceptionType, string? ExceptionMessage, int Attempts, int ReplayCount, string Group)
{
    /// <summary>The summary of <paramref name="d"/>.</summary>
    public static DeadLetterJson Of(DeadLetter d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new(d.Id, d.Endpoint, d.Envelope.MessageId, d.Envelope.MessageName, d.DeadLetteredAt, d.Reason, d.ExceptionType, d.ExceptionMessage,
            d.Attempts, d.ReplayCount, d.Group.Id);
    }
}

/// <summary>A dead letter as <c>dead-letters show --json</c> prints it: the summary, then its exception, headers and body.</summary>
public sealed record DeadLetterDetailsJson : DeadLetterJson
{
    /// <summary>The summary with the rest.</summary>
    public DeadLetterDetailsJson(DeadLetterJson summary, string? exception, IReadOnlyDictionary<string, string> headers, string? body, string? bodyBase64)
        : base(summary ?? throw new ArgumentNullException(nameof(summary)))
    {
        (Exception, Headers, Body, BodyBase64) = (exception, headers, body, bodyBase64);
    }

    /// <summary>The exception's full text, with its stack.</summary>
    public string? Exception { get; }

    /// <summary>Every header.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The body as text, if it is UTF-8.</summary>
    public string? Body { get; }

    /// <summary>The body in base64, if it is not.</summary>
    public string? BodyBase64 { get; }
}
