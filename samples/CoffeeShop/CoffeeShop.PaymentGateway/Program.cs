using CoffeeShop.PaymentGateway;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddSingleton(GatewayOptions.From(builder.Configuration));
builder.Services.AddSingleton<Gateway>();

var app = builder.Build();
app.MapPost("/charges", (Charge charge, HttpRequest request, Gateway gateway) => gateway.ChargeAsync(charge, request.Headers["Idempotency-Key"].ToString()));
app.MapPost("/refunds", (Refund refund, Gateway gateway) => gateway.RefundAsync(refund));
app.MapGet("/ledger", (Gateway gateway) => gateway.Ledger());
app.Run();
