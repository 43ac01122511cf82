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
public sealed class MakeDrinks(Brewer brewer) : IHandleMessages<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced message, IMessageContext context, CancellationToken cancellationToken)
    {
        var made = await brewer.MakeAsync(message.OrderId, message.Drinks.Count, cancellationToken);
        if (made.Ready)
        {
            await context.PublishAsync(new DrinkReady(message.OrderId, made.Barista), cancellationToken: cancellationToken);
        }
        else
        {
            await context.PublishAsync(new DrinkFailed(message.OrderId, made.Barista, made.Reason!), cancellationToken: cancellationToken);
        }
    }
}

/// <summary>What came of an order's drinks.</summary>
/// <param name="Barista">Who made them.</param>
/// <param name="Ready">Whether they are ready.</param>
/// <param name="Reason">Why not, if not.</param>
public sealed record Made(string Barista, bool Ready, string? Reason);

/// <summary>The work itself, the same whether the order came from the queue or (in the suite's sync mode) over HTTP.</summary>
public sealed partial class Brewer(BaristaOptions barista, TimeProvider time, BaristaMetrics metrics, ILogger<Brewer> logger) : IDisposable
{
    // One barista's hands: as many orders at once as Barista:Concurrency, whether they came by queue or over HTTP.
    private readonly SemaphoreSlim _hands = new(barista.Concurrency, barista.Concurrency);

    public void Dispose() => _hands.Dispose();

    public async Task<Made> MakeAsync(string orderId, int drinks, CancellationToken cancellationToken)
    {
        await _hands.WaitAsync(cancellationToken);
        try
        {
            // The drinks take their time (the simulated work of the sample, not a wait for anything).
            await Task.Delay(barista.DrinkTime * drinks, time, cancellationToken);
        }
        finally
        {
            _hands.Release();
        }

        if (MachineBreaks(orderId))
        {
            LogFailed(logger, orderId, barista.Name);
            metrics.Failed.Add(1);
            return new Made(barista.Name, false, "the espresso machine broke");
        }

        metrics.Made.Add(drinks);
        return new Made(barista.Name, true, null);
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
