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
/// Counter, cashier and the payment gateway as real processes on one bus file; the test is the barista. The card is
/// charged through the gateway's synchronous API, behind cashier's resilience pipeline.
/// </summary>
public sealed class PaymentTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "coffeeshop-tests", Guid.NewGuid().ToString("N"));
    private SqliteTransport? _bus;
    private IMessageReceiver? _baristas;
    private IMessageReceiver? _outcomes;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        _bus = new SqliteTransport(new SqliteTransportOptions { Path = Path.Combine(_data, "bus.db"), PollInterval = TimeSpan.FromMilliseconds(20) });
        await _bus.DeclareAsync(new QueueDeclaration("barista", ["coffeeshop.order-placed"]), Ct);
        await _bus.DeclareAsync(new QueueDeclaration("outcomes", ["coffeeshop.order-completed", "coffeeshop.order-cancelled"]), Ct);
        _baristas = _bus.CreateReceiver("barista", new ReceiverSettings(TimeSpan.FromSeconds(30)));
        _outcomes = _bus.CreateReceiver("outcomes", new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in new[] { _baristas, _outcomes })
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
    public async Task A_card_is_charged_once_though_the_gateway_fails_the_first_attempts()
    {
        var (gateway, gatewayAddress) = await ServiceProcess.StartAsync("CoffeeShop.PaymentGateway", _data, ("PaymentGateway__FailFirst", "2"));
        using var g = gateway;
        var (cashier, _) = await ServiceProcess.StartAsync("CoffeeShop.Cashier", _data, ("CoffeeShop__PaymentGateway", gatewayAddress.ToString()));
        using var c = cashier;
        var (counter, counterAddress) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data);
        using var k = counter;

        var order = await PlaceAsync(counterAddress, "Ada", "tok_visa");
        await PublishAsync("coffeeshop.drink-ready", new DrinkReady(order, "barista-1"));
        Assert.Equal(order, (await NextAsync(_outcomes!, "coffeeshop.order-completed", cashier)).GetProperty("orderId").GetString());

        // Three calls with the order's key (two refused, then the charge), one charge.
        using var http = new HttpClient { BaseAddress = gatewayAddress };
        var ledger = await http.GetFromJsonAsync<JsonElement>("/ledger", Ct);
        var charges = ledger.GetProperty("charges").EnumerateArray().Where(x => x.GetProperty("key").GetString() == order).ToList();
        Assert.Equal("accepted", Assert.Single(charges).GetProperty("status").GetString());
        Assert.True(ledger.GetProperty("attempts").GetProperty(order).GetInt32() >= 3);
    }

    [Fact]
    public async Task A_declined_card_writes_the_drink_off()
    {
        var (gateway, gatewayAddress) = await ServiceProcess.StartAsync("CoffeeShop.PaymentGateway", _data);
        using var g = gateway;
        var (cashier, _) = await ServiceProcess.StartAsync("CoffeeShop.Cashier", _data, ("CoffeeShop__PaymentGateway", gatewayAddress.ToString()));
        using var c = cashier;
        var (counter, counterAddress) = await ServiceProcess.StartAsync("CoffeeShop.Counter", _data);
        using var k = counter;

        var order = await PlaceAsync(counterAddress, "Bob", "tok_declined");
        Assert.Equal(order, (await NextAsync(_baristas!, "coffeeshop.write-off-drink", cashier)).GetProperty("orderId").GetString());
        Assert.Equal("payment-declined", (await NextAsync(_outcomes!, "coffeeshop.order-cancelled", cashier)).GetProperty("reason").GetString());
    }

    /// <summary>Places an order; returns its id once the barista (the test) has heard of it.</summary>
    private async Task<string> PlaceAsync(Uri counter, string customer, string card)
    {
        using var http = new HttpClient { BaseAddress = counter };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = JsonContent.Create(new { customer, drinks = new[] { new { name = "latte", size = "large" } }, cardToken = card }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        Assert.Equal(id, (await NextAsync(_baristas!, "coffeeshop.order-placed", null)).GetProperty("orderId").GetString());
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

    private static async Task<JsonElement> NextAsync(IMessageReceiver receiver, string name, ServiceProcess? explain)
    {
        var received = await receiver.DrainAsync(1, TimeSpan.FromSeconds(45));
        Assert.True(received.Count == 1, $"no {name} came; {explain?.Output}");
        Assert.Equal(name, received[0].Envelope.MessageName);
        return JsonDocument.Parse(received[0].BodyText()).RootElement.Clone();
    }
}
