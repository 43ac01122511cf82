using CoffeeShop.Cashier.Payments;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddCashier(builder.Configuration);

var app = builder.Build();
app.MapHealthChecks("/health");
app.Run();
