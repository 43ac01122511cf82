namespace CoffeeShop.AppHost;

/// <summary>The fixed ports of the suite, written in the README, so a person and a script can find each service.</summary>
public static class Ports
{
    /// <summary>The counter: the web page, the board, the orders API (<c>/orders</c>) and its reference (<c>/api</c>).</summary>
    public const int Counter = 5200;

    public const int Cashier = 5201;

    public const int Rewards = 5203;

    /// <summary>The fake payment gateway (cashier's default address for it).</summary>
    public const int Gateway = 5205;
}
