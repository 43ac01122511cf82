using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Stores outgoing messages: one row per queue (a topic fans out to each subscribed queue). All or none: a send to an
/// undeclared queue fails the whole operation.
/// </summary>
internal sealed class InsertOperation(IReadOnlyList<OutgoingMessage> messages) : WriteOperation
{
    public override bool MakesMessagesVisible => true;

    public override void Execute(BusCommands commands, long nowMs)
    {
        foreach (var message in messages)
        {
            if (message.Destination.Kind == DestinationKind.Queue && !commands.IsKnownQueue(message.Destination.Name))
            {
                throw new UnroutableMessageException(message.Destination, message.Envelope.MessageName);
            }
        }

        foreach (var message in messages)
        {
            var visibleAt = message.DeliverAt is { } at ? Math.Max(nowMs, at.ToUnixTimeMilliseconds()) : nowMs;
            var statement = message.Destination.Kind == DestinationKind.Queue ? commands.InsertToQueue : commands.InsertToTopic;

            // A topic nobody subscribes to stores nothing, which is no error: no one missed the event.
            statement
                .Bind(1, message.Destination.Name)
                .Bind(2, visibleAt)
                .BindEnvelope(3, message.Envelope)
                .Execute();

            // Whatever lands in a dead-letter queue is a dead letter, whoever put it there (a tool moving messages).
            if (message.Destination.Kind == DestinationKind.Queue && message.Destination.Name.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal))
            {
                var mark = commands.MarkDeadLetter;
                mark.Parameters["$id"].Value = statement.LastInsertRowId;
                DeadLetterColumns.Bind(mark.Parameters, message.Envelope.HasHeaders ? message.Envelope.Headers : null, nowMs);
                mark.ExecuteNonQuery();
            }
        }
    }
}
