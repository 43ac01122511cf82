using CoffeeShop.AppHost;

// CoffeeShop, every service its own process, each with its own database. On the embedded defaults: the SQLite bus
// file and one SQLite database per service under the data folder. With CoffeeShop:Infrastructure=rabbitmq-postgres:
// RabbitMQ and one PostgreSQL database per service, from connection strings (no containers). See docs/coffeeshop.md.
var builder = DistributedApplication.CreateBuilder(args);
var shop = ShopInfrastructure.From(builder.Configuration, builder.AppHostDirectory);
await shop.PrepareAsync();

var gateway = builder.AddProject<Projects.CoffeeShop_PaymentGateway>("payment-gateway").WithHttpEndpoint(port: Ports.Gateway, isProxied: false);
var cashier = shop.Apply(builder.AddProject<Projects.CoffeeShop_Cashier>("cashier"), "cashier")
    .WithHttpEndpoint(port: Ports.Cashier, isProxied: false)
    .WithEnvironment("CoffeeShop__PaymentGateway", gateway.GetEndpoint("http"))
    .WithHttpHealthCheck("/health");
var barista = shop.Apply(builder.AddProject<Projects.CoffeeShop_Barista>("barista"), "barista")
    .WithHttpEndpoint()
    .WithReplicas(2)
    .WithHttpHealthCheck("/health");
var rewards = shop.Apply(builder.AddProject<Projects.CoffeeShop_Rewards>("rewards"), "rewards")
    .WithHttpEndpoint(port: Ports.Rewards, isProxied: false)
    .WithHttpHealthCheck("/health");
shop.Apply(builder.AddProject<Projects.CoffeeShop_Counter>("counter"), "counter")
    .WithHttpEndpoint(port: Ports.Counter, isProxied: false)
    .WithUrlForEndpoint("http", url => url.DisplayText = "The shop (order here)")
    .WithEnvironment("CoffeeShop__Services__cashier", cashier.GetEndpoint("http"))
    .WithEnvironment("CoffeeShop__Services__rewards", rewards.GetEndpoint("http"))
    .WithEnvironment("CoffeeShop__Services__barista", barista.GetEndpoint("http"))
    .WithHttpHealthCheck("/health")
    .WaitFor(cashier).WaitFor(barista).WaitFor(rewards);

builder.Build().Run();
