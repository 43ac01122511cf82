using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Acks (deletes), returns (with a delay and updated headers) or dead-letters (moves to <c>{queue}.deadletter</c>)
/// messages, each only if the lease is still ours: a lease that expired and was taken by another consumer is theirs.
/// </summary>
internal sealed class SettleOperation(string queue, IReadOnlyList<Settlement> settlements) : WriteOperation
{
    private readonly string _deadLetterQueue = DeadLetterQueues.For(queue);
    private readonly bool _isDeadLetterQueue = queue.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal);
    private readonly string?[] _headers = settlements.Select(s => s.Kind == SettlementKind.Ack ? null : HeaderJson.Write(s.Message.Envelope)).ToArray();

    public override bool MakesMessagesVisible => settlements.Any(s => s.Kind != SettlementKind.Ack);

    public override void Execute(BusCommands commands, long nowMs)
    {
        // Acks of one lease share its owner: one statement deletes them all.
        foreach (var group in settlements.Where(s => s.Kind == SettlementKind.Ack).GroupBy(s => ((SqliteLease)s.Message.TransportState!).Owner))
        {
            commands.Ack.Parameters[0].Value = "[" + string.Join(',', group.Select(s => ((SqliteLease)s.Message.TransportState!).Id)) + "]";
            commands.Ack.Parameters[1].Value = group.Key;
            commands.Ack.ExecuteNonQuery();
        }

        for (var i = 0; i < settlements.Count; i++)
        {
            var settlement = settlements[i];
            var lease = (SqliteLease)settlement.Message.TransportState!;
            if (settlement.Kind == SettlementKind.Ack)
            {
                continue;
            }

            var p = commands.Return.Parameters;
            var deadLetter = settlement.Kind == SettlementKind.DeadLetter;
            p[0].Value = deadLetter ? _deadLetterQueue : queue;
            p[1].Value = nowMs + (long)settlement.Delay.TotalMilliseconds;
            p[2].Value = _headers[i];
            p[3].Value = lease.Id;
            p[4].Value = lease.Owner;
            // A dead letter returned to its dead-letter queue (by a receiver of that queue) stays a dead letter.
            if (deadLetter || _isDeadLetterQueue)
            {
                DeadLetterColumns.Bind(p, settlement.Message.Envelope.HasHeaders ? settlement.Message.Envelope.Headers : null, nowMs);
            }
            else
            {
                DeadLetterColumns.Clear(p);
            }

            commands.Return.ExecuteNonQuery();
        }
    }
}
