using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoffeeShop.ServiceDefaults;

/// <summary>
/// The shop's staff, for the Tidings dashboard: with <c>CoffeeShop:ApiKey</c> configured, a request with the key (in
/// <c>X-Shop-Key</c>, or <c>?key=</c> once) is signed in as staff. Opened with <c>?key=</c>, the page is given a staff
/// cookie (a data-protected sign-in, not the key) for its own requests and live stream. The dashboard's policy wants
/// staff. Without a key there is no policy, and the dashboard keeps its own rule: this machine only.
/// </summary>
public static class ShopStaff
{
    public const string Policy = "shop-staff";
    private const string KeyScheme = "shop-key";
    private const string CookieScheme = "shop-staff";
    private const string KeyClaim = "shop-key-hash";

    private static string KeyHash(string key) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    /// <summary>Registers the staff sign-in and policy if the shop has a key; returns the policy's name, or null.</summary>
    public static string? AddShopStaff(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrEmpty(configuration["CoffeeShop:ApiKey"]))
        {
            return null;
        }

        services.AddAuthentication(KeyScheme)
            .AddScheme<AuthenticationSchemeOptions, ShopKeyHandler>(KeyScheme, _ => { })
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "shop-staff";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = false;
                // An API and its pages: say 401 or 403, do not redirect to a login page there is none of.
                o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
                o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
                // A cookie given under another key (or none now) is no longer staff's: changing the key signs everyone out.
                o.Events.OnValidatePrincipal = c =>
                {
                    var current = configuration["CoffeeShop:ApiKey"];
                    if (string.IsNullOrEmpty(current) || c.Principal?.FindFirst(KeyClaim)?.Value != KeyHash(current))
                    {
                        c.RejectPrincipal();
                    }

                    return Task.CompletedTask;
                };
            });
        services.AddAuthorization(o => o.AddPolicy(Policy, p => p.AddAuthenticationSchemes(KeyScheme, CookieScheme).RequireAuthenticatedUser()));
        return Policy;
    }

    /// <summary>Signs in whoever shows the shop's key; from the query, it also leaves the staff cookie.</summary>
    private sealed class ShopKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IConfiguration configuration)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = configuration["CoffeeShop:ApiKey"];
            var fromQuery = Request.Query["key"].FirstOrDefault();
            var given = Request.Headers[ShopKey.Header].FirstOrDefault() ?? fromQuery;
            if (given is null || string.IsNullOrEmpty(key))
            {
                // No key given, or none configured any more (the settings reloaded): no one is signed in by a key.
                return AuthenticateResult.NoResult();
            }

            if (!ShopKey.Matches(given, key))
            {
                return AuthenticateResult.Fail("The shop's key does not match.");
            }

            var staff = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "shop staff"), new Claim(KeyClaim, KeyHash(key))], KeyScheme));
            if (fromQuery is not null)
            {
                await Context.SignInAsync(CookieScheme, staff);
            }

            return AuthenticateResult.Success(new AuthenticationTicket(staff, KeyScheme));
        }
    }
}
