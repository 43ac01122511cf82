using Tidings.DeadLetters;

namespace Tidings.Dashboard;

/// <summary>Who may see the dashboard, whether they may change anything, and what of a message they may see.</summary>
public sealed class TidingsDashboardOptions
{
    /// <summary>
    /// The authorization policy a request must satisfy (register it with <c>AddAuthorization</c>). Without one, the
    /// dashboard answers requests from this machine (loopback) only, and tells anyone else why: it shows everyone's
    /// messages, so it is never open by default.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>Look, do not touch: replays, purges and cancels are refused (403), and the pages hide their buttons. Default false.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// What of a dead letter leaves the server: every one the dashboard shows, in a list or alone, passes through it, its
    /// headers (the failure's message and stack among them) and its body. Default: the message as it is. Mask card
    /// numbers, addresses and tokens here.
    /// </summary>
    public Func<DeadLetter, DashboardMessage, DashboardMessage> Redactor { get; set; } = (_, message) => message;

    /// <summary>
    /// What of a saga instance leaves the server: its state, its history's details, its compensations' reasons. Default:
    /// the instance as it is. Failure groups are shown as they are: a reason, an exception's type and the first frame
    /// of your code are the code's, not a message's.
    /// </summary>
    public Func<SagaInstanceDetails, SagaInstanceDetails> SagaRedactor { get; set; } = instance => instance;

    /// <summary>
    /// How often the open pages' live stream looks for changes (failures, queues, backlogs). One look serves every open
    /// page, however many. Default 2 s.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>What the dashboard shows of a dead letter, after the <see cref="TidingsDashboardOptions.Redactor"/>.</summary>
/// <param name="Headers">Its headers, the failure's message (<see cref="TidingsHeaders.ExceptionMessage"/>) and stack among them.</param>
/// <param name="Body">Its body as text; null if it is not UTF-8.</param>
public sealed record DashboardMessage(IReadOnlyDictionary<string, string> Headers, string? Body);
