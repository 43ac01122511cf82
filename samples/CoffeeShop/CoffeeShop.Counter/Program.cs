using CoffeeShop.Counter.Orders;
using CoffeeShop.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddCounter(builder.Configuration);
builder.Services.AddOpenApi();

var app = builder.Build();
app.UseExceptionHandler();
app.MapOpenApi();
app.UseSwaggerUI(ui =>
{
    // The browsable API reference, at /api, over the OpenAPI document at /openapi/v1.json.
    (ui.RoutePrefix, ui.DocumentTitle) = ("api", "CoffeeShop counter API");
    ui.SwaggerEndpoint("/openapi/v1.json", "counter");
});
app.MapOrders();
app.MapDefaultEndpoints();
app.Run();
