using CoffeeShop.Counter.Board;
using CoffeeShop.Counter.Orders;
using CoffeeShop.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddCounter(builder.Configuration);
builder.Services.AddOpenApi();

var app = builder.Build();
app.UseExceptionHandler();
app.UseShopPages(); // the order page (/) and the board (/board.html)
app.MapOpenApi();
app.UseApiReference(); // at /api, over the OpenAPI document at /openapi/v1.json
app.MapOrders();
app.MapBoard();
app.MapDefaultEndpoints();
app.Run();
