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
        public Envelope ToEnvelope() => new()
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
