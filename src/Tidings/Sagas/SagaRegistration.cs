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

/// <summary>A saga on an endpoint: its registered name (the stored instances' key), its definition and options.</summary>
internal sealed record SagaRegistration(string Name, Saga Definition, SagaOptions Options);
