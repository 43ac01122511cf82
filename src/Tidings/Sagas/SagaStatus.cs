namespace Tidings;

/// <summary>Where a saga instance is in its life.</summary>
public enum SagaStatus
{
    /// <summary>Started and not yet over.</summary>
    Active,

    /// <summary>Over; kept only if the saga keeps completed instances.</summary>
    Completed,

    /// <summary>Compensated: the steps that succeeded were undone; it takes messages until it completes.</summary>
    Compensated,
}
