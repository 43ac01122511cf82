using CoffeeShop.Rewards.Stars;
using CoffeeShop.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddRewards(builder.Configuration);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapStars();
app.Run();
