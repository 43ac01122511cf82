using CoffeeShop.Barista.Drinks;
using CoffeeShop.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddBarista(builder.Configuration);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapSyncDrinks();
app.Run();
