using Microsoft.Data.Sqlite;

namespace Tidings.Sqlite.Tests.Support;

[MessageName("sqlite-test.charge-card")]
public sealed record ChargeCard(int OrderId, int Cents);

[MessageName("sqlite-test.card-charged")]
public sealed record CardCharged(int OrderId);

[MessageName("sqlite-test.receipt-printed")]
public sealed record ReceiptPrinted(int OrderId);

/// <summary>Writes a payment row in the handler's transaction, then publishes two events; fails for negative amounts.</summary>
public sealed class ChargeCardHandler : IHandleMessages<ChargeCard>
{
    public async Task HandleAsync(ChargeCard message, IMessageContext context, CancellationToken cancellationToken)
    {
        var transaction = (SqliteTransaction)context.Transaction!;
        using (var command = transaction.Connection!.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "CREATE TABLE IF NOT EXISTS payments (order_id INTEGER, cents INTEGER); INSERT INTO payments VALUES ($o, $c)";
            command.Parameters.AddWithValue("$o", message.OrderId);
            command.Parameters.AddWithValue("$c", message.Cents);
            command.ExecuteNonQuery();
        }

        await context.PublishAsync(new CardCharged(message.OrderId), cancellationToken: cancellationToken);
        await context.PublishAsync(new ReceiptPrinted(message.OrderId), cancellationToken: cancellationToken);
        if (message.Cents < 0)
        {
            throw new InvalidOperationException("declined");
        }
    }
}
