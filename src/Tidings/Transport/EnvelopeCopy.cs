namespace Tidings.Transport;

/// <summary>Copies envelopes so that each queue's copy can have its headers changed on its own.</summary>
public static class EnvelopeCopy
{
    /// <summary>A copy of <paramref name="envelope"/> with its own header dictionary (the body is shared: it is immutable).</summary>
    public static Envelope WithOwnHeaders(this Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new Envelope
        {
            MessageId = envelope.MessageId,
            MessageName = envelope.MessageName,
            CorrelationId = envelope.CorrelationIdToCarry,
            CausationId = envelope.CausationId,
            SentAt = envelope.SentAt,
            ContentType = envelope.ContentType,
            Headers = new Dictionary<string, string>(envelope.Headers, StringComparer.Ordinal),
            Body = envelope.Body,
        };
    }
}
