namespace Tidings;

/// <summary>Where a saga instance is in its life.</summary>
public enum SagaStatus
{
    /// <summary>Started and not yet over.</summary>
    Active,

    /// <summary>Over, and ended well; kept only if the saga keeps completed instances.</summary>
    Completed,
}
