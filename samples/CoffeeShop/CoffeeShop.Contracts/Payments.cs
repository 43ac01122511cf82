using Tidings;

namespace CoffeeShop.Contracts;

/// <summary>Cashier charged the card (through the payment gateway, synchronously, with the order as the idempotency key).</summary>
[MessageName("coffeeshop.payment-accepted")]
public sealed record PaymentAccepted(string OrderId, string PaymentId, long AmountCents);

/// <summary>The gateway declined the card: the saga writes the drink off.</summary>
[MessageName("coffeeshop.payment-declined")]
public sealed record PaymentDeclined(string OrderId, string Reason);

/// <summary>A command to cashier: give the money back (the drink could not be made, or never came).</summary>
[MessageName("coffeeshop.refund-payment")]
public sealed record RefundPayment(string OrderId, string PaymentId, long AmountCents);

/// <summary>Cashier gave the money back.</summary>
[MessageName("coffeeshop.payment-refunded")]
public sealed record PaymentRefunded(string OrderId, string PaymentId);
