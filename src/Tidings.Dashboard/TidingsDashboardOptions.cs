using Tidings.DeadLetters;

namespace Tidings.Dashboard;

/// <summary>Who may see the dashboard, whether they may change anything, and what of a message body they may see.</summary>
public sealed class TidingsDashboardOptions
{
    /// <summary>
    /// The authorization policy a request must satisfy. Without one, the dashboard answers requests from this machine
    /// (loopback) only, and tells anyone else why: it shows everyone's messages, so it is never open by default.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>Look, do not touch: replays and purges are refused (403). Default false.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>What of a dead letter's body leaves the server (every body passes through it); default: the body as it is.</summary>
    public Func<DeadLetter, string?, string?> Redactor { get; set; } = (_, body) => body;

    /// <summary>The header the pages send the antiforgery token in.</summary>
    public const string AntiforgeryHeader = "X-XSRF-TOKEN";
}
