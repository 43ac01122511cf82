using CoffeeShop.Contracts;
using Tidings;

namespace CoffeeShop.Cashier.Payments;

/// <summary>On an order, charges its card (a synchronous call), and says how it went.</summary>
public sealed class ChargeCard(PaymentGatewayClient gateway) : IHandleMessages<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        var result = await gateway.ChargeAsync(new OrderPlacedCharge(message.OrderId, message.AmountCents, message.CardToken), cancellationToken);
        if (result.Status == "accepted")
        {
            await context.PublishAsync(new PaymentAccepted(message.OrderId, result.PaymentId, result.AmountCents), cancellationToken: cancellationToken);
        }
        else
        {
            await context.PublishAsync(new PaymentDeclined(message.OrderId, result.Reason ?? "declined"), cancellationToken: cancellationToken);
        }
    }
}

/// <summary>The saga's compensation: the money back.</summary>
public sealed class GiveMoneyBack(PaymentGatewayClient gateway) : IHandleMessages<RefundPayment>
{
    public async Task HandleAsync(RefundPayment message, IMessageContext context, CancellationToken cancellationToken)
    {
        await gateway.RefundAsync(message.PaymentId, cancellationToken);
        await context.PublishAsync(new PaymentRefunded(message.OrderId, message.PaymentId), cancellationToken: cancellationToken);
    }
}
