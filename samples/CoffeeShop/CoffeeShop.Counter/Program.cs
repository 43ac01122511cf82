using CoffeeShop.Counter.Orders;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddCounter(builder.Configuration);
builder.Services.AddOpenApi();

var app = builder.Build();
app.UseExceptionHandler();
app.MapOpenApi();
app.MapOrders();
app.MapHealthChecks("/health");
app.Run();
