using CoffeeShop.Cashier.Payments;
using CoffeeShop.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddCashier(builder.Configuration);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapSyncPayments();
app.Run();
