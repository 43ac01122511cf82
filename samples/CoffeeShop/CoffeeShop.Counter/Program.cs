using CoffeeShop.Counter.Board;
using CoffeeShop.Counter.Orders;
using CoffeeShop.ServiceDefaults;
using Tidings.Dashboard;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddCounter(builder.Configuration);
builder.Services.AddOpenApi();
var staff = builder.Services.AddShopStaff(builder.Configuration); // null without CoffeeShop:ApiKey: then this machine only
builder.Services.AddTidingsDashboard(o => o.AuthorizationPolicy = staff);

var app = builder.Build();
app.UseExceptionHandler();
app.UseShopPages(); // the order page (/) and the board (/board.html)
app.MapOpenApi();
app.UseApiReference(); // at /api, over the OpenAPI document at /openapi/v1.json
app.MapOrders();
app.MapBoard();
app.MapTidingsDashboard("/tidings"); // failures, queues, sagas, scheduled: this machine only, or staff with the shop's key
app.MapDefaultEndpoints();
app.Run();
