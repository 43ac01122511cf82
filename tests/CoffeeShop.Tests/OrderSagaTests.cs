using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CoffeeShop.Contracts;
using Tidings;
using Tidings.Sqlite;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace CoffeeShop.Tests;

/// <summary>
/// The counter as a real process on the embedded defaults, and the test as cashier and barista on the same bus file:
/// each of the essay's outcomes (served, written off, refunded after a failed drink, refunded after a silent barista).
/// </summary>
public sealed class OrderSagaTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "coffeeshop-tests", Guid.NewGuid().ToString("N"));
    private SqliteTransport? _bus;
    private IMessageReceiver? _cashier;
    private IMessageReceiver? _baristas;
    private IMessageReceiver? _outcomes;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        _bus = new SqliteTransport(new SqliteTransportOptions { Path = Path.Combine(_data, "bus.db"), PollInterval = TimeSpan.FromMilliseconds(20) });
        await _bus.DeclareAsync(new QueueDeclaration("cashier", ["coffeeshop.order-placed"]), Ct);
        await _bus.DeclareAsync(new QueueDeclaration("barista", ["coffeeshop.order-placed"]), Ct);
        await _bus.DeclareAsync(new QueueDeclaration("outcomes", ["coffeeshop.order-completed", "coffeeshop.order-cancelled"]), Ct);
        _cashier = _bus.CreateReceiver("cashier", new ReceiverSettings(TimeSpan.FromSeconds(30)));
        _baristas = _bus.CreateReceiver("barista", new ReceiverSettings(TimeSpan.FromSeconds(30)));
        _outcomes = _bus.CreateReceiver("outcomes", new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in new[] { _cashier, _baristas, _outcomes })
        {
            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }
        }

        if (_bus is not null)
        {
            await _bus.DisposeAsync();
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder.
        }
    }

    [Fact]
    public async Task A_paid_and_made_order_is_served_and_completed_once()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data);
        using var _ = counter;
        var order = await PlaceAsync(address, "Ada");
        await PublishAsync("coffeeshop.drink-ready", new DrinkReady(order, "barista-1"));
        await PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-1", 532));

        var outcome = await NextAsync(_outcomes!, "coffeeshop.order-completed");
        Assert.Equal(order, outcome.GetProperty("orderId").GetString());
        Assert.Equal(532, outcome.GetProperty("amountCents").GetInt64());
    }

    [Fact]
    public async Task A_declined_card_writes_the_drink_off_and_cancels_the_order()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data);
        using var _ = counter;
        var order = await PlaceAsync(address, "Bob");
        await PublishAsync("coffeeshop.payment-declined", new PaymentDeclined(order, "insufficient funds"));

        Assert.Equal(order, (await NextAsync(_baristas!, "coffeeshop.write-off-drink")).GetProperty("orderId").GetString());
        Assert.Equal("payment-declined", (await NextAsync(_outcomes!, "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_drink_that_fails_after_the_charge_is_refunded()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data);
        using var _ = counter;
        var order = await PlaceAsync(address, "Cy");
        await PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-3", 532));
        await PublishAsync("coffeeshop.drink-failed", new DrinkFailed(order, "barista-2", "the machine broke"));

        var refund = await NextAsync(_cashier!, "coffeeshop.refund-payment");
        Assert.Equal(("pay-3", 532L), (refund.GetProperty("paymentId").GetString(), refund.GetProperty("amountCents").GetInt64()));
        Assert.Equal("drink-failed", (await NextAsync(_outcomes!, "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_barista_silent_past_the_deadline_gets_the_paid_order_refunded()
    {
        var (counter, address) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data, ("CoffeeShop__BaristaDeadlineSeconds", "1"));
        using var _ = counter;
        var order = await PlaceAsync(address, "Di");
        await PublishAsync("coffeeshop.payment-accepted", new PaymentAccepted(order, "pay-4", 532));

        Assert.Equal("pay-4", (await NextAsync(_cashier!, "coffeeshop.refund-payment")).GetProperty("paymentId").GetString());
        Assert.Equal("barista-timeout", (await NextAsync(_outcomes!, "coffeeshop.order-cancelled")).GetProperty("reason").GetString());
    }

    /// <summary>Places an order; returns its id (the name on the cup) once the counter's saga holds it.</summary>
    private async Task<string> PlaceAsync(Uri counter, string customer)
    {
        using var http = new HttpClient { BaseAddress = counter };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = JsonContent.Create(new { customer, drinks = new[] { new { name = "latte", size = "large" } }, cardToken = "tok_visa" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;

        // Cashier and barista hear of it as the counter does: that is where it starts for them.
        Assert.Equal(id, (await NextAsync(_cashier!, "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        Assert.Equal(id, (await NextAsync(_baristas!, "coffeeshop.order-placed")).GetProperty("orderId").GetString());
        return id;
    }

    private Task PublishAsync<T>(string name, T message) => _bus!.SendAsync(
        [new OutgoingMessage(Destination.Topic(name), new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = name,
            SentAt = DateTimeOffset.UtcNow,
            Body = JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web),
        })],
        Ct);

    /// <summary>The next message on <paramref name="receiver"/>, which must be a <paramref name="name"/>; its body.</summary>
    private static async Task<JsonElement> NextAsync(IMessageReceiver receiver, string name)
    {
        var received = Assert.Single(await receiver.DrainAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(name, received.Envelope.MessageName);
        return JsonDocument.Parse(received.BodyText()).RootElement.Clone();
    }
}
