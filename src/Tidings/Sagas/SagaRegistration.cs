namespace Tidings;

/// <summary>How a saga keeps its instances.</summary>
public sealed class SagaOptions
{
    /// <summary>
    /// Keep completed instances (with their status and history) instead of removing them when they complete. Default
    /// false.
    /// </summary>
    public bool KeepCompleted { get; set; }

    /// <summary>
    /// What a kept completed instance does with a later message that is not a timeout (a drink that comes after the
    /// order was written off). Default <see cref="SagaLateMessages.DeadLetter"/>, under which a late starter is
    /// ignored with a log line (it starts no new instance in the completed one's place), and a message declared with a
    /// missing-instance policy of its own (<see cref="SagaMissing.IgnoreAndLog"/>, a handler) meets that policy.
    /// </summary>
    public SagaLateMessages LateMessages { get; set; } = SagaLateMessages.DeadLetter;

    /// <summary>
    /// How long a kept completed instance stays before it is removed (checked every
    /// <see cref="TidingsOptions.InboxCleanupInterval"/>). Default 7 days.
    /// </summary>
    public TimeSpan CompletedRetention
    {
        get => _completedRetention;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromDays(36500));
            _completedRetention = value;
        }
    }

    private TimeSpan _completedRetention = TimeSpan.FromDays(7);
}

/// <summary>What a kept completed saga instance does with a message that comes after it completed.</summary>
public enum SagaLateMessages
{
    /// <summary>
    /// Dead-letter it at once with the reason <c>saga-completed</c>: the instance is final, so no retry can help, and
    /// nothing is dropped silently.
    /// </summary>
    DeadLetter,

    /// <summary>
    /// Record it (a starter too) in the instance's history (kind <c>late</c>), log it at information level, and drop
    /// it: for workflows where late news is expected and harmless. The instance stays completed; its state does not
    /// change. Its last change is then the late message, from which <see cref="SagaOptions.CompletedRetention"/> counts.
    /// </summary>
    Record,
}

/// <summary>A saga on an endpoint: its registered name (the stored instances' key), its definition and options.</summary>
internal sealed record SagaRegistration(string Name, Saga Definition, SagaOptions Options);
