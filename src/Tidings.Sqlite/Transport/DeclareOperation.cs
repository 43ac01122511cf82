using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>Creates a queue, its dead-letter queue and its subscriptions. Idempotent.</summary>
internal sealed class DeclareOperation(QueueDeclaration declaration) : WriteOperation
{
    public override void Execute(BusCommands commands, long nowMs)
    {
        foreach (var name in new[] { declaration.Queue, DeadLetterQueues.For(declaration.Queue) })
        {
            commands.DeclareQueue.Parameters[0].Value = name;
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
