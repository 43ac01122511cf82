using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tidings;

/// <summary>
/// Message ids for messages from publishers that are not Tidings: an id that is not a GUID becomes a name-based UUID
/// (RFC 9562 version 5) of it, so the same foreign message delivered twice has the same id both times and an
/// effectively-once endpoint handles it once.
/// </summary>
public static class ForeignMessageIds
{
    // A namespace of Tidings' own (a random UUID fixed once): the same foreign id always maps to the same UUID.
    private static readonly Guid Namespace = new("5b0c3a52-8e0f-4c52-9d8e-6f3b7e0f1a2d");

    /// <summary>
    /// The GUID <paramref name="id"/> spells, or a UUID derived from it; null when there is no id at all (nothing to
    /// derive from: the caller gives the message a fresh one).
    /// </summary>
    public static Guid? From(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        return Guid.TryParse(id, out var guid) ? guid : NameBased(id);
    }

    /// <summary>The version 5 UUID of <paramref name="name"/> in Tidings' namespace.</summary>
    public static Guid NameBased(string name) => NameBased(Namespace, name);

    /// <summary>The version 5 UUID of <paramref name="name"/> in <paramref name="namespaceId"/> (RFC 9562, section 5.5).</summary>
    internal static Guid NameBased(Guid namespaceId, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for version 5; it names, it does not protect.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
