using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Takes up to <c>max</c> visible messages of a queue under a fresh lease owner. When there are none, finds when the
/// next one becomes visible, so the receiver can sleep exactly that long.
/// </summary>
internal sealed class LeaseOperation(string queue, int max, long owner, TimeSpan leaseDuration) : WriteOperation
{
    public List<LeasedRow> Rows { get; } = [];

    public long? NextVisibleAtMs { get; private set; }

    public override void Execute(BusCommands commands, long nowMs)
    {
        Rows.Clear();
        var lease = commands.Lease
            .Bind(1, owner)
            .Bind(2, nowMs + (long)leaseDuration.TotalMilliseconds)
            .Bind(3, queue)
            .Bind(4, nowMs)
            .Bind(5, max);
        while (lease.Read())
        {
            // Only copy the columns here, on the writer's thread; the receiver parses them into an envelope.
            Rows.Add(new LeasedRow(
                lease.Int64(0), (int)lease.Int64(1), lease.Text(2), lease.Text(3), lease.NullableText(4), lease.NullableText(5),
                lease.Int64(6), lease.Text(7), lease.Text(8), lease.Blob(9), (int)lease.Int64(10)));
        }

        // RETURNING gives no order; hand messages out oldest first.
        Rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        if (Rows.Count == 0)
        {
            commands.NextVisible.Parameters[0].Value = queue;
            NextVisibleAtMs = commands.NextVisible.ExecuteScalar() is long next ? next : null;
        }
    }

    internal sealed record LeasedRow(
        long Id, int Deliveries, string MessageId, string Name, string? CorrelationId, string? CausationId,
        long SentAtMs, string ContentType, string Headers, byte[] Body, int Abandoned)
    {
        private static readonly long MinUnixMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
        private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

        /// <summary>
        /// The row as an envelope; or, for a row no envelope can be made of (written by a foreign tool: an id that is
        /// no GUID, headers that are no JSON map of strings), what could be read, the fields that could not be read kept as text
        /// in <c>tidings-unreadable-*</c> headers, and the error: the pipeline dead-letters it, the rest of the batch goes on.
        /// </summary>
        public (Envelope Envelope, Exception? Error) ToEnvelopeOrQuarantine()
        {
            try
            {
                return (ToEnvelope(), null);
            }
#pragma warning disable CA1031 // Any failure to read must still leave the row in Tidings' hands, to be dead-lettered.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var headers = TryReadHeaders(Headers, out var read) ? read ?? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [TidingsHeaders.UnreadablePrefix + "headers"] = Headers,
                };
                if (!Guid.TryParse(MessageId, out var id))
                {
                    headers[TidingsHeaders.UnreadablePrefix + "message-id"] = MessageId;
                    id = ForeignMessageIds.NameBased(MessageId);
                }

                var envelope = new Envelope
                {
                    MessageId = id,
                    MessageName = Name,
                    CorrelationId = CorrelationId,
                    CausationId = CausationId,
                    SentAt = SentAtMs >= MinUnixMs && SentAtMs <= MaxUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(SentAtMs) : DateTimeOffset.UnixEpoch,
                    ContentType = ContentType,
                    Headers = headers,
                    Body = Body,
                };
                return (envelope, new FormatException($"Bus row {Id} is not a Tidings message: {ex.Message}", ex));
            }
        }

        private static bool TryReadHeaders(string json, out Dictionary<string, string>? headers)
        {
            try
            {
                headers = HeaderJson.Read(json);
                return true;
            }
#pragma warning disable CA1031 // Unreadable headers are kept as text instead.
            catch (Exception)
#pragma warning restore CA1031
            {
                headers = null;
                return false;
            }
        }

        private Envelope ToEnvelope() => new()
        {
            MessageId = Guid.Parse(MessageId),
            MessageName = Name,
            CorrelationId = CorrelationId,
            CausationId = CausationId,
            SentAt = DateTimeOffset.FromUnixTimeMilliseconds(SentAtMs),
            ContentType = ContentType,
            Headers = HeaderJson.Read(Headers),
            Body = Body,
        };
    }
}

/// <summary>What a SQLite receiver needs to settle a message: its row and the lease it holds.</summary>
internal sealed record SqliteLease(long Id, long Owner);
