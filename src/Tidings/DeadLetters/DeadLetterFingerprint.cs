using System.Security.Cryptography;
using System.Text;

namespace Tidings.DeadLetters;

/// <summary>
/// What tells one failure of a message from another: the endpoint, the message id, how often it was replayed, and the
/// moment Tidings dead-lettered it (<see cref="TidingsHeaders.DeadLetteredAt"/>, to the tick). A broker's redelivery of
/// the same dead letter has the same fingerprint, so it is stored once; the same message failing again (sent twice, or
/// redelivered after a crash and failing anew) has another moment and is a dead letter of its own. One the broker
/// dead-lettered, without Tidings' moment, is told apart by all its headers.
/// </summary>
public static class DeadLetterFingerprint
{
    /// <summary>The fingerprint: 32 hex digits of a SHA-256 of the four parts.</summary>
    public static string Of(string endpoint, Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(envelope);
        // A message the broker dead-lettered (its delivery limit) has no Tidings time: all its headers (x-death, with
        // its count and time) tell one such failure from another.
        var at = envelope.HasHeaders ? envelope.Headers.GetValueOrDefault(TidingsHeaders.DeadLetteredAt)
            ?? string.Join('\n', envelope.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key + "=" + h.Value)) : null;
        var text = $"{endpoint}\n{envelope.MessageId:N}\n{DeadLetterReplay.CountOf(envelope)}\n{at}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }
}
