namespace Tidings.RabbitMQ.Wire;

/// <summary>
/// The Unix milliseconds a version 7 UUID carries in its first 48 bits (RFC 9562). Tidings makes a message's id from
/// the moment it stamps as the message's sent-at, so the wire need not carry sent-at a second time.
/// </summary>
internal static class UuidV7Time
{
    public static bool TryGetUnixMilliseconds(Guid id, out long unixMs)
    {
        unixMs = 0;
        if (id.Version != 7)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        for (var i = 0; i < 6; i++)
        {
            unixMs = (unixMs << 8) | bytes[i];
        }

        return true;
    }
}
