using System.Text.Json;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Keeps this process's temporary queues alive (their expiry moves on) and drops, with their messages and dead-letter
/// queues, the temporary queues whose process stopped renewing them (killed, say). Every process does both, so a dead
/// process's reply queue goes whichever processes live on.
/// </summary>
internal sealed class TemporaryQueuesOperation(IReadOnlyCollection<string> renew, TimeSpan expiry) : WriteOperation
{
    /// <summary>The queues dropped because they expired.</summary>
    public List<string> Dropped { get; } = [];

    public override void Execute(BusCommands commands, long nowMs)
    {
        Dropped.Clear();
        if (renew.Count > 0)
        {
            commands.RenewQueues.Parameters[0].Value = nowMs + (long)expiry.TotalMilliseconds;
            commands.RenewQueues.Parameters[1].Value = JsonSerializer.Serialize(renew);
            commands.RenewQueues.ExecuteNonQuery();
        }

        commands.ExpiredQueues.Parameters[0].Value = nowMs;
        using (var reader = commands.ExpiredQueues.ExecuteReader())
        {
            while (reader.Read())
            {
                Dropped.Add(reader.GetString(0));
            }
        }

        if (Dropped.Count > 0)
        {
            DropQueuesOperation.Drop(commands, Dropped);
        }
    }
}

/// <summary>Drops queues with their messages and subscriptions: a stopping process's temporary queues.</summary>
internal sealed class DropQueuesOperation(IReadOnlyCollection<string> queues) : WriteOperation
{
    public override void Execute(BusCommands commands, long nowMs) => Drop(commands, queues);

    public static void Drop(BusCommands commands, IReadOnlyCollection<string> queues)
    {
        commands.DropQueues.Parameters[0].Value = JsonSerializer.Serialize(queues);
        commands.DropQueues.ExecuteNonQuery();
    }
}
