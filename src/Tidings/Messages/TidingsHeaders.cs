namespace Tidings;

/// <summary>Names of the headers Tidings reads and writes.</summary>
public static class TidingsHeaders
{
    /// <summary>W3C trace context parent.</summary>
    public const string TraceParent = "traceparent";
    /// <summary>W3C trace context state.</summary>
    public const string TraceState = "tracestate";
    /// <summary>The queue a reply should go to.</summary>
    public const string ReplyTo = "tidings-reply-to";
    /// <summary>How many delayed redeliveries this message has had.</summary>
    public const string Redeliveries = "tidings-redeliveries";
    /// <summary>
    /// Why the message was dead-lettered: <c>unreadable</c> (the transport could not read it into an envelope),
    /// <c>abandoned-too-often</c>, <c>too-large</c>, <c>unknown-message-name</c>, <c>no-handler</c>,
    /// <c>deserialization-failed</c>, <c>handler-failed</c>; for sagas, <c>saga-correlation-missing</c>,
    /// <c>saga-not-found</c> and <c>saga-completed</c>.
    /// </summary>
    public const string DeadLetterReason = "tidings-dead-letter-reason";
    /// <summary>The exception type of the last failure.</summary>
    public const string ExceptionType = "tidings-exception-type";
    /// <summary>The exception message of the last failure.</summary>
    public const string ExceptionMessage = "tidings-exception-message";
    /// <summary>The stack trace of the last failure.</summary>
    public const string ExceptionStackTrace = "tidings-exception-stack";
    /// <summary>How many times handling was attempted in all.</summary>
    public const string Attempts = "tidings-attempts";
    /// <summary>The queue the message was taken from when it failed.</summary>
    public const string SourceQueue = "tidings-source-queue";
    /// <summary>
    /// Prefix of headers that keep, as text, the fields of an unreadable message a transport could not put in the
    /// envelope (<c>tidings-unreadable-message-id</c>, <c>tidings-unreadable-headers</c>): nothing of it is lost.
    /// </summary>
    public const string UnreadablePrefix = "tidings-unreadable-";
    /// <summary>When the message was dead-lettered (ISO 8601).</summary>
    public const string DeadLetteredAt = "tidings-dead-lettered-at";

    /// <summary>How many times an operator replayed this message from the dead letters to its queue.</summary>
    public const string ReplayCount = "tidings-replay-count";

    /// <summary>On a saga's timeout: the saga's registered name.</summary>
    public const string SagaName = "tidings-saga";

    /// <summary>On a saga's timeout: the correlation id of the instance that asked for it.</summary>
    public const string SagaCorrelationId = "tidings-saga-correlation";

    /// <summary>On a saga's timeout: the id of the instance that asked for it (a later instance of the same correlation ignores it).</summary>
    public const string SagaInstanceId = "tidings-saga-instance";

    /// <summary>On a saga's timeout: its name (a timeout asked for again under the same name replaces the earlier one).</summary>
    public const string SagaTimeout = "tidings-saga-timeout";

    /// <summary>On a saga's timeout: the id it was scheduled under.</summary>
    public const string ScheduleId = "tidings-schedule-id";
}
