using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>
/// The token that lets the caller of an accepted request read its status and events: the caller's scope and the path
/// of the status resource (the 202's <c>Location</c>), protected with ASP.NET Core Data Protection for a limited time (so every instance that shares the key
/// ring can check it, and no table is needed). A request must carry it and come from the same caller scope. Sent back
/// as the <c>Resource-Token</c> header, or the <c>token</c> query parameter where a header cannot be set (a browser's
/// EventSource); a query string can end up in access logs, so prefer the header.
/// </summary>
internal sealed class ResourceTokens(IDataProtectionProvider protection, Microsoft.Extensions.Options.IOptions<TidingsAspNetCoreOptions> options, TimeProvider? time = null)
{
    public const string Header = "Resource-Token";
    public const string Query = "token";

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("Tidings.AspNetCore.ResourceToken.v1").ToTimeLimitedDataProtector();

    /// <summary>The token for the caller <paramref name="scope"/> to read the resource whose status is at <paramref name="location"/>.</summary>
    public string For(string scope, string location) =>
        // Its expiry by the service's clock, which is also the one that says how long ago it was issued.
        _protector.Protect(Payload(scope, PathOf(location)), (time ?? TimeProvider.System).GetUtcNow() + options.Value.ResourceTokenLifetime);

    /// <summary>
    /// True if the request carries a token given to its caller for this path (the status resource), or, for a
    /// <paramref name="subresource"/> (its events, its result), for the path one segment up; <paramref name="issuedAt"/>
    /// is when the token was given.
    /// </summary>
    public bool Allows(HttpContext context, out DateTimeOffset issuedAt, bool subresource = false)
    {
        issuedAt = default;
        var request = context.Request;
        var token = request.Headers[Header].FirstOrDefault() ?? request.Query[Query].FirstOrDefault();
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        string payload;
        DateTimeOffset expiration;
        try
        {
            payload = _protector.Unprotect(token, out expiration);
        }
        catch (CryptographicException)
        {
            return false;
        }

        var path = request.Path.Value ?? "";
        var scope = options.Value.CallerIdentity(context);
        var allowed = subresource
            ? path.TrimEnd('/') is var trimmed && trimmed.LastIndexOf('/') is > 0 and var cut && payload == Payload(scope, trimmed[..cut])
            : payload == Payload(scope, path);
        if (allowed)
        {
            issuedAt = expiration - options.Value.ResourceTokenLifetime;
        }

        return allowed;
    }

    private static string Payload(string scope, string path) => scope.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + scope + path;

    /// <summary>
    /// The location's path as ASP.NET Core gives a request's path: decoded (an id with a space or a <c>ë</c> is escaped
    /// in the <c>Location</c>, and arrives unescaped), so the two compare equal.
    /// </summary>
    private static string PathOf(string location) =>
        PathString.FromUriComponent(Uri.TryCreate(location, UriKind.Absolute, out var absolute) ? absolute.AbsolutePath : location.Split('?', 2)[0]).Value ?? "";
}
