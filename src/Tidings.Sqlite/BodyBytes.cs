using System.Runtime.InteropServices;

namespace Tidings.Sqlite;

internal static class BodyBytes
{
    /// <summary>The body as the byte array SQLite binds, without a copy when it already is one whole array.</summary>
    public static byte[] Of(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();
}
