using System.Data.Common;
using CoffeeShop.Contracts;
using CoffeeShop.ServiceDefaults;
using Tidings;

namespace CoffeeShop.Rewards.Stars;

/// <summary>
/// A customer's stars: one per whole unit of money spent, at least one per order. The SQL is plain enough for both of
/// the shop's databases (SQLite and PostgreSQL), and runs in the unit of work Tidings gives the handler.
/// </summary>
public static class StarsLedger
{
    public const string Create =
        "CREATE TABLE IF NOT EXISTS rewards_stars (customer TEXT PRIMARY KEY, stars BIGINT NOT NULL, orders BIGINT NOT NULL)";

    private const string Award =
        "INSERT INTO rewards_stars (customer, stars, orders) VALUES (@customer, @stars, 1) " +
        "ON CONFLICT (customer) DO UPDATE SET stars = rewards_stars.stars + excluded.stars, orders = rewards_stars.orders + 1";

    private const string Read = "SELECT stars, orders FROM rewards_stars WHERE customer = @customer";

    public static long StarsFor(long amountCents) => Math.Max(1, amountCents / 100);

    public static async Task AwardAsync(DbTransaction transaction, string customer, long stars, CancellationToken cancellationToken)
    {
        await using var command = Command(transaction, Award, ("customer", customer), ("stars", stars));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<Balance> ReadAsync(DbTransaction transaction, string customer, CancellationToken cancellationToken)
    {
        await using var command = Command(transaction, Read, ("customer", customer));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Balance(customer, reader.GetInt64(0), reader.GetInt64(1)) : new Balance(customer, 0, 0);
    }

    public static DbCommand Command(DbTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.Value) = ("@" + name, value);
            command.Parameters.Add(parameter);
        }

        return command;
    }
}

/// <summary>A customer's balance.</summary>
/// <param name="Customer">The name on their cups.</param>
/// <param name="Stars">Stars awarded.</param>
/// <param name="Orders">Completed orders that earned them.</param>
public sealed record Balance(string Customer, long Stars, long Orders);

/// <summary>On a completed order, its stars: in the same transaction as the inbox entry, so a redelivery adds none.</summary>
public sealed class AwardStars : IHandleMessages<OrderCompleted>
{
    public Task HandleAsync(OrderCompleted message, IMessageContext context, CancellationToken cancellationToken) =>
        StarsLedger.AwardAsync(context.Transaction!, message.Customer, StarsLedger.StarsFor(message.AmountCents), cancellationToken);
}

/// <summary>Makes rewards' one table at start-up, in its own database.</summary>
public sealed class StarsTable(ITransactionalSessionFactory sessions) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = await sessions.BeginAsync(cancellationToken);
        await using (var command = StarsLedger.Command(session.Transaction, StarsLedger.Create))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await session.CommitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Rewards over HTTP: a customer's balance, for the shop's own pages and tools (which hold its key).</summary>
public static class StarsEndpoints
{
    public static IEndpointRouteBuilder MapStars(this IEndpointRouteBuilder app)
    {
        app.MapGet("/customers/{customer}/stars", async (string customer, ITransactionalSessionFactory sessions, CancellationToken cancellationToken) =>
        {
            await using var session = await sessions.BeginAsync(cancellationToken);
            return TypedResults.Ok(await StarsLedger.ReadAsync(session.Transaction, customer, cancellationToken));
        }).RequireShopKey();
        return app;
    }
}
