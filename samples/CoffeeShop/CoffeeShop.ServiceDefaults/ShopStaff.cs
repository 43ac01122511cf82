using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoffeeShop.ServiceDefaults;

/// <summary>
/// The shop's staff, for the Tidings dashboard: with <c>CoffeeShop:ApiKey</c> configured, a request with the key (in
/// <c>X-Shop-Key</c>, or <c>?key=</c> once, which leaves a cookie for the page's own requests and its live stream) is
/// signed in as staff, and the dashboard's policy wants staff. Without a key there is no policy, and the dashboard
/// keeps its own rule: this machine only.
/// </summary>
public static class ShopStaff
{
    public const string Policy = "shop-staff";
    private const string SchemeName = "shop-key";

    /// <summary>Registers the staff sign-in and policy if the shop has a key; returns the policy's name, or null.</summary>
    public static string? AddShopStaff(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration["CoffeeShop:ApiKey"]))
        {
            return null;
        }

        services.AddAuthentication(SchemeName).AddScheme<AuthenticationSchemeOptions, ShopKeyHandler>(SchemeName, _ => { });
        services.AddAuthorization(o => o.AddPolicy(Policy, p => p.AddAuthenticationSchemes(SchemeName).RequireAuthenticatedUser()));
        return Policy;
    }

    /// <summary>Signs in whoever shows the shop's key.</summary>
    private sealed class ShopKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IConfiguration configuration)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        private const string Cookie = "shop-key";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = configuration["CoffeeShop:ApiKey"] ?? "";
            var fromQuery = Request.Query["key"].FirstOrDefault();
            var given = Request.Headers[ShopKey.Header].FirstOrDefault() ?? fromQuery ?? Request.Cookies[Cookie];
            if (given is null)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key)))
            {
                return Task.FromResult(AuthenticateResult.Fail("The shop's key does not match."));
            }

            if (fromQuery is not null)
            {
                Response.Cookies.Append(Cookie, given, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = Request.IsHttps, Path = "/" });
            }

            var staff = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "shop staff")], SchemeName));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(staff, SchemeName)));
        }
    }
}
