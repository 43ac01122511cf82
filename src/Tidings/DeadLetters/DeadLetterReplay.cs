using System.Globalization;
using Tidings.Transport;

namespace Tidings.DeadLetters;

/// <summary>
/// A dead letter made ready to go back to its queue, the same way on every transport. It keeps its message id (so an
/// effectively-once endpoint's inbox still knows it), its body, correlation and trace. It counts the replay
/// (<see cref="TidingsHeaders.ReplayCount"/>). It forgets its failure and its delivery history, or the poison check
/// would dead-letter it again at once.
/// </summary>
public static class DeadLetterReplay
{
    /// <summary>Headers of the failure and of the deliveries before it, Tidings' and the brokers'.</summary>
    private static readonly string[] Forgotten =
    [
        TidingsHeaders.DeadLetterReason, TidingsHeaders.ExceptionType, TidingsHeaders.ExceptionMessage, TidingsHeaders.ExceptionStackTrace,
        TidingsHeaders.Attempts, TidingsHeaders.SourceQueue, TidingsHeaders.DeadLetteredAt, TidingsHeaders.Redeliveries,
    ];

    private static readonly string[] BrokerPrefixes = ["x-death", "x-first-death-", "x-last-death-", "x-delivery-count", "x-acquired-count"];

    /// <summary>How many times <paramref name="envelope"/> was replayed before.</summary>
    public static int CountOf(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.HasHeaders
            && int.TryParse(envelope.Headers.GetValueOrDefault(TidingsHeaders.ReplayCount), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    /// <summary>The envelope to send back to the dead letter's queue.</summary>
    public static Envelope Prepare(Envelope deadLetter)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        var replayed = deadLetter.WithOwnHeaders();
        foreach (var name in replayed.Headers.Keys.ToList())
        {
            if (Forgotten.Contains(name, StringComparer.Ordinal) || BrokerPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                replayed.Headers.Remove(name);
            }
        }

        replayed.Headers[TidingsHeaders.ReplayCount] = (CountOf(deadLetter) + 1).ToString(CultureInfo.InvariantCulture);
        return replayed;
    }
}
