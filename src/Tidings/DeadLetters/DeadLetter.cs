using System.Globalization;

namespace Tidings.DeadLetters;

/// <summary>
/// A dead letter as an operator reads it: where it came from, why it failed, how often it was tried and replayed.
/// Read from the headers Tidings wrote when it dead-lettered the message, the same on every transport.
/// </summary>
/// <param name="Id">The transport's or store's own id of this dead letter (a row, an offset): opaque to the caller.</param>
/// <param name="Endpoint">The queue it failed on, and goes back to when replayed; null for one Tidings did not dead-letter.</param>
/// <param name="Envelope">The message as it was dead-lettered, headers and body.</param>
public sealed record DeadLetter(string Id, string? Endpoint, Envelope Envelope)
{
    /// <summary>Why it was dead-lettered (<see cref="TidingsHeaders.DeadLetterReason"/>), <c>unknown</c> if no one said.</summary>
    public string Reason => Header(TidingsHeaders.DeadLetterReason) ?? "unknown";

    /// <summary>The full type name of the exception it failed with; null if it failed without one.</summary>
    public string? ExceptionType => Header(TidingsHeaders.ExceptionType);

    /// <summary>The exception's message; null if it failed without one.</summary>
    public string? ExceptionMessage => Header(TidingsHeaders.ExceptionMessage);

    /// <summary>The exception as <see cref="Exception.ToString"/> wrote it: type, message, stack, inner exceptions.</summary>
    public string? ExceptionText => Header(TidingsHeaders.ExceptionStackTrace);

    /// <summary>Handling attempts over every delivery before it was dead-lettered; 0 if not recorded.</summary>
    public int Attempts => int.TryParse(Header(TidingsHeaders.Attempts), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>How many times it was replayed before; 0 for a first failure.</summary>
    public int ReplayCount => DeadLetterReplay.CountOf(Envelope);

    /// <summary>When it was dead-lettered; null if not recorded.</summary>
    public DateTimeOffset? DeadLetteredAt =>
        DateTimeOffset.TryParse(Header(TidingsHeaders.DeadLetteredAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    /// <summary>The failure group it belongs to.</summary>
    public FailureGroupKey Group => FailureGroupKey.Of(Envelope.Headers);

    /// <summary>A dead letter of <paramref name="envelope"/>, its endpoint from <see cref="TidingsHeaders.SourceQueue"/>.</summary>
    public static DeadLetter Of(string id, Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new DeadLetter(id, envelope.Headers.GetValueOrDefault(TidingsHeaders.SourceQueue), envelope);
    }

    private string? Header(string name) => Envelope.Headers.GetValueOrDefault(name);
}
