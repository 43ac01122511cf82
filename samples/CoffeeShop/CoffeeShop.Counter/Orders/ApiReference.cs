namespace CoffeeShop.Counter.Orders;

/// <summary>The browsable API reference (Swagger UI, its assets embedded in its package: nothing is fetched at run time).</summary>
public static class ApiReference
{
    public static IApplicationBuilder UseApiReference(this IApplicationBuilder app) => app.UseSwaggerUI(ui =>
    {
        (ui.RoutePrefix, ui.DocumentTitle) = ("api", "CoffeeShop counter API");
        ui.SwaggerEndpoint("/openapi/v1.json", "counter");
    });
}
