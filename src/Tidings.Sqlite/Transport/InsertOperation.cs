using Microsoft.Data.Sqlite;
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
            var destination = message.Destination;
            var envelope = message.Envelope;
            var visibleAt = message.DeliverAt is { } at ? Math.Max(nowMs, at.ToUnixTimeMilliseconds()) : nowMs;
            var command = destination.Kind == DestinationKind.Queue ? commands.InsertToQueue : commands.InsertToTopic;

            var p = command.Parameters;
            p[0].Value = destination.Name;
            p[1].Value = visibleAt;
            p[2].Value = envelope.MessageId.ToString();
            p[3].Value = envelope.MessageName;
            p[4].Value = (object?)envelope.CorrelationId ?? DBNull.Value;
            p[5].Value = (object?)envelope.CausationId ?? DBNull.Value;
            p[6].Value = envelope.SentAt.ToUnixTimeMilliseconds();
            p[7].Value = envelope.ContentType;
            p[8].Value = HeaderJson.Write(envelope.Headers);
            p[9].Value = BodyBytes.Of(envelope.Body);
            // A topic nobody subscribes to stores nothing, which is no error: no one missed the event.
            command.ExecuteNonQuery();
        }
    }
}
