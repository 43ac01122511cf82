using Tidings;
using Tidings.DeadLetters;
using Xunit;

// Outside the Tidings namespaces, as a user's handlers are: failure groups look for the first frame outside them.
namespace TabService;

[MessageName("contract.settle-tab")]
public sealed record SettleTab(int OrderId);

/// <summary>The card gateway the tab handler calls: down until a test brings it back.</summary>
public sealed class TabGateway
{
    private volatile bool _down = true;

    public bool Down
    {
        get => _down;
        set => _down = value;
    }
}

[MessageName("contract.void-tab")]
public sealed record VoidTab(int OrderId);

/// <summary>Refuses every void: the tab is closed.</summary>
public sealed class VoidTabHandler : IHandleMessages<VoidTab>
{
    public Task HandleAsync(VoidTab message, IMessageContext context, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"tab {message.OrderId} is closed");
}

/// <summary>The gateway's failure: a type of its own, so dead letters of it form a failure group of their own.</summary>
public sealed class TabGatewayDownException(string message) : Exception(message);

/// <summary>Writes one payment row per tab in the handler's transaction, or fails while the gateway is down.</summary>
public sealed class SettleTabHandler(TabGateway gateway) : IHandleMessages<SettleTab>
{
    public async Task HandleAsync(SettleTab message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (gateway.Down)
        {
            throw new TabGatewayDownException($"the card gateway is down (order {message.OrderId})");
        }

        var transaction = context.Transaction!;
        await using var insert = transaction.Connection!.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO payments (order_id, cents) VALUES (@order, 1)";
        var order = insert.CreateParameter();
        order.ParameterName = "@order";
        order.Value = message.OrderId;
        insert.Parameters.Add(order);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}

public static class DeadLetterAssert
{
    /// <summary>Newest first: each dead letter's time at or before the one above it.</summary>
    public static void NewestFirst(IReadOnlyList<DeadLetter> items)
    {
        for (var i = 1; i < items.Count; i++)
        {
            Assert.True(items[i - 1].DeadLetteredAt >= items[i].DeadLetteredAt, $"item {i} is newer than the one before it");
        }
    }
}

/// <summary>Waits for an endpoint's dead letter through the host's <see cref="IDeadLetters"/>, whatever the transport keeps them in.</summary>
public static class DeadLetterWait
{
    public static async Task<DeadLetter> SingleAsync(IServiceProvider services, string endpoint, TimeSpan patience)
    {
        var deadLetters = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IDeadLetters>(services);
        var query = new DeadLetterQuery { Endpoint = endpoint };
        IReadOnlyList<DeadLetter> items = [];
        await Tidings.Transport.Contracts.Effects.WaitForAsync(async () =>
        {
            items = (await deadLetters.ListAsync(query, cancellationToken: TestContext.Current.CancellationToken)).Items;
            return items.Count > 0;
        }, patience, () => $"no dead letter of {endpoint} arrived");
        return Assert.Single(items);
    }
}
