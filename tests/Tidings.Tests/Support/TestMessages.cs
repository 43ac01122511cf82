namespace Tidings.Tests.Support;

[MessageName("test.order-placed")]
public sealed record OrderPlaced(int OrderId);

[MessageName("test.make-drink")]
public sealed record MakeDrink(int OrderId);

[MessageName("test.drink-ready")]
public sealed record DrinkReady(int OrderId);

[MessageName("test.flaky")]
public sealed record Flaky(int Id, int FailTimes);

[MessageName("test.slow")]
public sealed record Slow(int Id, int Milliseconds);

[MessageName("test.big")]
public sealed record Big(string Payload);
