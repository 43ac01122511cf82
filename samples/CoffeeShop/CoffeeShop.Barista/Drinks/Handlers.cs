using System.Diagnostics.Metrics;
using CoffeeShop.Contracts;
using Microsoft.Extensions.Logging;
using Tidings;

namespace CoffeeShop.Barista.Drinks;

/// <summary>
/// Makes an order's drinks as soon as it is placed, without waiting for the payment (Hohpe's Starbucks: most cards are
/// fine, and waiting would slow every customer). The slow part comes first and the one write last, so the unit of work
/// stays short.
/// </summary>
public sealed partial class MakeDrinks(BaristaOptions barista, TimeProvider time, BaristaMetrics metrics, ILogger<MakeDrinks> logger) : IHandleMessages<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        // The drinks take their time (the simulated work of the sample, not a wait for anything).
        await Task.Delay(barista.DrinkTime * message.Drinks.Count, time, cancellationToken);
        if (MachineBreaks(message.OrderId))
        {
            LogFailed(logger, message.OrderId, barista.Name);
            metrics.Failed.Add(1);
            await context.PublishAsync(new DrinkFailed(message.OrderId, barista.Name, "the espresso machine broke"), cancellationToken: cancellationToken);
            return;
        }

        metrics.Made.Add(message.Drinks.Count);
        await context.PublishAsync(new DrinkReady(message.OrderId, barista.Name), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Whether this order's drinks fail, decided by the order (not by chance per attempt), so a redelivered order fails
    /// or succeeds the same way on whichever barista takes it.
    /// </summary>
    private bool MachineBreaks(string orderId) =>
        barista.FailureRate > 0
        && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(orderId))) % 10_000
            < barista.FailureRate * 10_000;

    [LoggerMessage(LogLevel.Warning, "The machine broke making {OrderId} ({Barista}).")]
    private static partial void LogFailed(ILogger logger, string orderId, string barista);
}

/// <summary>The saga's write-off: the card was declined, so the drink is thrown away.</summary>
public sealed partial class ThrowDrinkAway(BaristaOptions barista, BaristaMetrics metrics, ILogger<ThrowDrinkAway> logger) : IHandleMessages<WriteOffDrink>
{
    public Task HandleAsync(WriteOffDrink message, IMessageContext context, CancellationToken cancellationToken)
    {
        metrics.WrittenOff.Add(1);
        LogWrittenOff(logger, message.OrderId, barista.Name);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "Wrote off the drinks of {OrderId} ({Barista}): the card was declined.")]
    private static partial void LogWrittenOff(ILogger logger, string orderId, string barista);
}

/// <summary>The baristas' counters, on the <c>CoffeeShop.Barista</c> meter (exported to the dashboard).</summary>
public sealed class BaristaMetrics
{
    public const string MeterName = "CoffeeShop.Barista";

    public BaristaMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        Made = meter.CreateCounter<long>("coffeeshop.drinks.made", "{drink}", "Drinks made.");
        Failed = meter.CreateCounter<long>("coffeeshop.drinks.failed", "{order}", "Orders whose drinks failed: the machine broke.");
        WrittenOff = meter.CreateCounter<long>("coffeeshop.drinks.written_off", "{order}", "Orders whose drinks were thrown away: the card was declined.");
    }

    public Counter<long> Made { get; }

    public Counter<long> Failed { get; }

    public Counter<long> WrittenOff { get; }
}
