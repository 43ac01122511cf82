using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Tidings.AspNetCore;

/// <summary>Fingerprints of requests, message ids derived from keys, and the keys in flight in this process.</summary>
internal sealed class IdempotencyKeys
{
    private readonly ConcurrentDictionary<(string Scope, string Key), byte> _inFlight = new();

    /// <summary>Takes the key for one request of this process; false if another request holds it.</summary>
    public bool TryEnter(string scope, string key) => _inFlight.TryAdd((scope, key), 0);

    public void Exit(string scope, string key) => _inFlight.TryRemove((scope, key), out _);

    /// <summary>What makes two requests the same request (the draft's fingerprint): method, path and query, and body.</summary>
    public static string Fingerprint(string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(method.ToUpperInvariant() + "\n" + pathAndQuery + "\n"));
        hash.AppendData(body);
        return Convert.ToBase64String(hash.GetHashAndReset());
    }

    /// <summary>
    /// The id of the <paramref name="n"/>th message a request sends: the same for every retry of that request (caller,
    /// key and fingerprint), another for the key reused for another request after it expired.
    /// </summary>
    public static Guid MessageId(string scope, string key, string fingerprint, int n)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"tidings-idempotency\0{scope}\0{key}\0{fingerprint}\0{n}"), digest);
        var bytes = digest[..16];

        // An RFC 9562 version 8 UUID (custom): its bits come from the hash, with the version and variant set.
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
