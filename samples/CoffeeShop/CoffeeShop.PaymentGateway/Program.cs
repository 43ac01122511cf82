using CoffeeShop.PaymentGateway;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddSingleton(GatewayOptions.From(builder.Configuration));
builder.Services.AddSingleton<Gateway>();

var app = builder.Build();
app.MapPost("/charges", (Charge charge, HttpRequest request, Gateway gateway) => gateway.ChargeAsync(charge, request.Headers["Idempotency-Key"].ToString()));
app.MapPost("/refunds", (Refund refund, Gateway gateway) => gateway.RefundAsync(refund));
app.MapGet("/ledger", (Gateway gateway) => gateway.Ledger());

// Chaos: change how the fake behaves while it runs. From this machine only; a bad value changes nothing.
app.MapPut("/faults", (Faults faults, HttpContext http, GatewayOptions options, Gateway gateway) =>
{
    if (http.Connection.RemoteIpAddress is not { } remote || !System.Net.IPAddress.IsLoopback(remote))
    {
        return Results.Problem("Faults are changed from this machine only.", statusCode: StatusCodes.Status403Forbidden);
    }

    try
    {
        options.Change(faults);
        return Results.Ok(gateway.Faults());
    }
    catch (ArgumentOutOfRangeException e)
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { [e.ParamName ?? "faults"] = [e.Message] });
    }
});
app.MapGet("/faults", (Gateway gateway) => gateway.Faults());
app.Run();
