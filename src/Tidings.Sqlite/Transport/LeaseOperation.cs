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
        var lease = commands.Lease;
        lease.Parameters[0].Value = owner;
        lease.Parameters[1].Value = nowMs + (long)leaseDuration.TotalMilliseconds;
        lease.Parameters[2].Value = queue;
        lease.Parameters[3].Value = nowMs;
        lease.Parameters[4].Value = max;
        using (var reader = lease.ExecuteReader())
        {
            while (reader.Read())
            {
                var envelope = new Envelope
                {
                    MessageId = Guid.Parse(reader.GetString(2)),
                    MessageName = reader.GetString(3),
                    CorrelationId = reader.IsDBNull(4) ? null : reader.GetString(4),
                    CausationId = reader.IsDBNull(5) ? null : reader.GetString(5),
                    SentAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                    ContentType = reader.GetString(7),
                    Headers = HeaderJson.Read(reader.GetString(8)),
                    Body = reader.GetFieldValue<byte[]>(9),
                };
                Rows.Add(new LeasedRow(reader.GetInt64(0), reader.GetInt32(1), envelope));
            }
        }

        // RETURNING gives no order; hand messages out oldest first.
        Rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        if (Rows.Count == 0)
        {
            commands.NextVisible.Parameters[0].Value = queue;
            NextVisibleAtMs = commands.NextVisible.ExecuteScalar() is long next ? next : null;
        }
    }

    internal sealed record LeasedRow(long Id, int Deliveries, Envelope Envelope);
}

/// <summary>What a SQLite receiver needs to settle a message: its row and the lease it holds.</summary>
internal sealed record SqliteLease(long Id, long Owner);
