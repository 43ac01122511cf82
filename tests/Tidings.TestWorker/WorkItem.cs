using Microsoft.Data.Sqlite;
using Tidings;
using Tidings.Sqlite;

namespace Tidings.TestWorker;

[MessageName("test.work-item")]
public sealed record WorkItem(int Seq);

public sealed record HandlerSettings(int DelayMs);

/// <summary>The side effect the tests count: one row per handled message in the service's own database.</summary>
public sealed class WorkItemHandler(SqliteStore store, HandlerSettings settings) : IHandleMessages<WorkItem>
{
    public async Task HandleAsync(WorkItem message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (settings.DelayMs > 0)
        {
            await Task.Delay(settings.DelayMs, cancellationToken);
        }

        if (context.Transaction is SqliteTransaction transaction)
        {
            // Effectively-once: the row commits with the inbox entry, or not at all.
            Effects.Insert(transaction.Connection!, transaction, message.Seq, context.Envelope.MessageId);
            return;
        }

        using var connection = store.Open();
        Effects.Insert(connection, null, message.Seq, context.Envelope.MessageId);
    }
}

public static class Effects
{
    /// <summary>The effects table in whichever database the worker was given.</summary>
    public static async Task CreateAsync(IServiceProvider services)
    {
        if (services.GetService(typeof(Tidings.PostgreSql.PostgreSqlStore)) is Tidings.PostgreSql.PostgreSqlStore postgres)
        {
            await using var transaction = await postgres.BeginAsync();
            await using var command = transaction.CreateCommand("CREATE TABLE IF NOT EXISTS effects (seq integer NOT NULL, message_id text NOT NULL)");
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return;
        }

        Create((SqliteStore)services.GetService(typeof(SqliteStore))!);
    }

    public static void Create(SqliteStore store)
    {
        using var connection = store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS effects (seq INTEGER NOT NULL, message_id TEXT NOT NULL)";
        command.ExecuteNonQuery();
    }

    public static void Insert(SqliteConnection connection, SqliteTransaction? transaction, int seq, Guid messageId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO effects (seq, message_id) VALUES ($seq, $id)";
        command.Parameters.AddWithValue("$seq", seq);
        command.Parameters.AddWithValue("$id", messageId.ToString());
        command.ExecuteNonQuery();
    }
}

public static class Arguments
{
    public static Dictionary<string, string> Parse(IEnumerable<string> args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? key = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                key = arg[2..];
            }
            else if (key is not null)
            {
                result[key] = arg;
                key = null;
            }
        }

        return result;
    }
}
