using System.Text;

namespace Tidings.Transport.Contracts;

/// <summary>One thing read from an event stream: an event (id, type, data) or a comment.</summary>
public sealed record SseRecord(string? Id, string Type, string Data, bool IsComment);

/// <summary>
/// Reads a <c>text/event-stream</c> line by line, as the HTML standard parses one, keeping the comments that
/// <c>System.Net.ServerSentEvents.SseParser</c> drops (a heartbeat is one).
/// </summary>
public sealed class SseTestReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>The next event or comment; null when the server ended the stream.</summary>
    public async Task<SseRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        string? id = null, type = null;
        var data = new StringBuilder();
        var any = false;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    return new SseRecord(id, type ?? "message", data.ToString(), false);
                }

                continue;
            }

            if (line[0] == ':')
            {
                return new SseRecord(null, "", line[1..].Trim(), true);
            }

            any = true;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
            }
        }

        return null;
    }

    /// <summary>The next event, passing over comments; null at the end of the stream.</summary>
    public async Task<SseRecord?> ReadEventAsync(CancellationToken cancellationToken)
    {
        while (await ReadAsync(cancellationToken) is { } record)
        {
            if (!record.IsComment)
            {
                return record;
            }
        }

        return null;
    }

    public void Dispose() => _reader.Dispose();
}
