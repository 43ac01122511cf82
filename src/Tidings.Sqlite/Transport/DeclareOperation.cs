using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Creates a queue, its dead-letter queue and its subscriptions. Idempotent. A temporary queue (and its dead-letter
/// queue) expires <paramref name="temporaryExpiry"/> from now unless its process renews it.
/// </summary>
internal sealed class DeclareOperation(QueueDeclaration declaration, TimeSpan temporaryExpiry) : WriteOperation
{
    public override void Execute(BusCommands commands, long nowMs)
    {
        foreach (var name in new[] { declaration.Queue, DeadLetterQueues.For(declaration.Queue) })
        {
            commands.DeclareQueue.Parameters[0].Value = name;
            commands.DeclareQueue.Parameters[1].Value = declaration.Temporary ? nowMs + (long)temporaryExpiry.TotalMilliseconds : DBNull.Value;
            commands.DeclareQueue.ExecuteNonQuery();
        }

        foreach (var topic in declaration.Topics)
        {
            commands.Subscribe.Parameters[0].Value = topic;
            commands.Subscribe.Parameters[1].Value = declaration.Queue;
            commands.Subscribe.ExecuteNonQuery();
        }
    }
}
