using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CoffeeShop.ServiceDefaults;

/// <summary>
/// The shop's own key for what shows everyone's data (a customer's stars, the board of all orders): the
/// <c>X-Shop-Key</c> header (or the <c>key</c> query parameter, for a browser's EventSource, which cannot send headers)
/// must match <c>CoffeeShop:ApiKey</c>. With no key configured, only requests from this machine (loopback) are
/// answered, and anyone else is told why: locked by default, not open. Behind a reverse proxy on the same machine every
/// request looks local: configure a key there.
/// </summary>
public static class ShopKey
{
    public const string Header = "X-Shop-Key";

    public static TBuilder RequireShopKey<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
            Refusal(context.HttpContext) is { } refused ? refused : await next(context));

    /// <summary>Whether <paramref name="given"/> is the key, in a time that tells nothing of either (hashes compared: not even the length).</summary>
    public static bool Matches(string given, string key) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Null if the request may read the shop's data; else the problem to answer.</summary>
    public static IResult? Refusal(HttpContext http)
    {
        var key = http.RequestServices.GetRequiredService<IConfiguration>()["CoffeeShop:ApiKey"];
        if (string.IsNullOrEmpty(key))
        {
            return http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
                ? null
                : Results.Problem("No CoffeeShop:ApiKey is configured, so this answers requests from this machine only. Configure a key and send it in X-Shop-Key.",
                    statusCode: StatusCodes.Status403Forbidden, title: "Only from this machine.", type: "https://coffeeshop.example/problems/loopback-only");
        }

        var given = http.Request.Headers[Header].FirstOrDefault() ?? http.Request.Query["key"].FirstOrDefault() ?? "";
        return Matches(given, key)
            ? null
            : Results.Problem($"Send the shop's key in {Header}.", statusCode: StatusCodes.Status401Unauthorized, title: "The shop's key is needed.",
                type: "https://coffeeshop.example/problems/shop-key");
    }
}
