using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>
/// The token that lets the caller of an accepted request read its status and events: the caller's scope and the
/// resource's id, protected with ASP.NET Core Data Protection for a limited time (so every instance that shares the key
/// ring can check it, and no table is needed). A request must carry it and come from the same caller scope. Sent back
/// as the <c>Resource-Token</c> header, or the <c>token</c> query parameter where a header cannot be set (a browser's
/// EventSource); a query string can end up in access logs, so prefer the header.
/// </summary>
internal sealed class ResourceTokens(IDataProtectionProvider protection, Microsoft.Extensions.Options.IOptions<TidingsAspNetCoreOptions> options)
{
    public const string Header = "Resource-Token";
    public const string Query = "token";

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("Tidings.AspNetCore.ResourceToken.v1").ToTimeLimitedDataProtector();

    public string For(string scope, string resourceId) => _protector.Protect(Payload(scope, resourceId), options.Value.ResourceTokenLifetime);

    /// <summary>True if the request carries the token of <paramref name="resourceId"/>, and comes from the caller it was given to.</summary>
    public bool Allows(HttpContext context, string resourceId)
    {
        var request = context.Request;
        var token = request.Headers[Header].FirstOrDefault() ?? request.Query[Query].FirstOrDefault();
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        try
        {
            return _protector.Unprotect(token, out _) == Payload(options.Value.CallerIdentity(context), resourceId);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static string Payload(string scope, string resourceId) => scope.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + scope + resourceId;
}
