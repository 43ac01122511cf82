using System.Text;

namespace Tidings.Testing;

/// <summary>
/// What happened during one harness call, until the system was quiescent again: the messages that left the hosts, the
/// handlers that ran, and the messages that failed.
/// </summary>
public sealed class HarnessResult
{
    internal HarnessResult(IReadOnlyList<HarnessMessage> messages, IReadOnlyList<HandlerInvocation> handled, IReadOnlyList<HarnessFailure> failures)
    {
        Messages = messages;
        Handled = handled;
        Failures = failures;
    }

    /// <summary>Every message sent, published, replied or scheduled, in the order the transport or the store took them.</summary>
    public IReadOnlyList<HarnessMessage> Messages { get; }

    /// <summary>Every handler run (a retried message shows once per attempt), in the order they finished.</summary>
    public IReadOnlyList<HandlerInvocation> Handled { get; }

    /// <summary>Every failed handling: dead letters, and messages sent back for a delayed redelivery.</summary>
    public IReadOnlyList<HarnessFailure> Failures { get; }

    /// <summary>The messages that went to a dead-letter queue.</summary>
    public IReadOnlyList<HarnessFailure> DeadLettered => [.. Failures.Where(f => f.DeadLettered)];

    /// <summary>The messages of type <typeparamref name="T"/> sent to queues.</summary>
    public IReadOnlyList<T> Sent<T>() => Of<T>(HarnessMessageKind.Sent);

    /// <summary>The messages of type <typeparamref name="T"/> published to topics.</summary>
    public IReadOnlyList<T> Published<T>() => Of<T>(HarnessMessageKind.Published);

    /// <summary>The replies of type <typeparamref name="T"/>.</summary>
    public IReadOnlyList<T> Replied<T>() => Of<T>(HarnessMessageKind.Replied);

    /// <summary>The messages of type <typeparamref name="T"/> scheduled for later (see <see cref="HarnessMessage.DueAt"/> on <see cref="Messages"/>).</summary>
    public IReadOnlyList<T> Scheduled<T>() => Of<T>(HarnessMessageKind.Scheduled);

    /// <summary>The runs of handler <typeparamref name="THandler"/>.</summary>
    public IReadOnlyList<HandlerInvocation> HandledBy<THandler>() => [.. Handled.Where(h => h.Handler == typeof(THandler).Name)];

    /// <summary>The runs of the saga registered as <paramref name="sagaName"/>.</summary>
    public IReadOnlyList<HandlerInvocation> HandledBySaga(string sagaName) => [.. Handled.Where(h => h.Handler == "saga " + sagaName)];

    /// <summary>The trace of the call, one line per event, for a failing test's message.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var message in Messages)
        {
            text.Append("  ").Append(message).AppendLine();
        }

        foreach (var handled in Handled)
        {
            text.Append("  ").Append(handled).AppendLine();
        }

        foreach (var failure in Failures)
        {
            text.Append("  ").Append(failure).AppendLine();
        }

        return text.Length == 0 ? "  (nothing happened)" : text.ToString().TrimEnd();
    }

    private List<T> Of<T>(HarnessMessageKind kind) => [.. Messages.Where(m => m.Kind == kind).Select(m => m.Message).OfType<T>()];
}

/// <summary>A message failed in the system under test, and the test did not say it expected that (<see cref="TidingsHarness.ExpectFailures{TException}"/>).</summary>
public sealed class HarnessFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HarnessFailureException()
        : this("A message failed in the system under test.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public HarnessFailureException(string message)
        : base(message)
    {
        Result = new HarnessResult([], [], []);
        Unexpected = [];
    }

    /// <summary>Creates the exception with a message and the exception behind it.</summary>
    public HarnessFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
        Result = new HarnessResult([], [], []);
        Unexpected = [];
    }

    internal HarnessFailureException(HarnessResult result, IReadOnlyList<HarnessFailure> unexpected)
        : base(Describe(result, unexpected), unexpected.Select(f => f.Exception).FirstOrDefault(e => e is not null))
    {
        Result = result;
        Unexpected = unexpected;
    }

    /// <summary>Everything the call saw.</summary>
    public HarnessResult Result { get; }

    /// <summary>The failures no expectation covered.</summary>
    public IReadOnlyList<HarnessFailure> Unexpected { get; }

    private static string Describe(HarnessResult result, IReadOnlyList<HarnessFailure> unexpected) =>
        $"{unexpected.Count} message(s) failed in the system under test (the first one's exception is the inner exception, with its stack):" +
        Environment.NewLine + string.Join(Environment.NewLine, unexpected.Select(f => "  " + f)) + Environment.NewLine +
        "If the test means it, say so first: harness.ExpectFailures<TException>()." + Environment.NewLine +
        "What happened during the call:" + Environment.NewLine + result;
}
