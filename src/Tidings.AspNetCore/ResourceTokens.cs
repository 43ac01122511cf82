using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>
/// The token that lets the caller of an accepted request, and no one else, read its status and events: the resource's
/// id protected with ASP.NET Core Data Protection (so every instance that shares the key ring can check it, and no
/// table is needed). Sent back as the <c>Resource-Token</c> header or the <c>token</c> query parameter (which a
/// browser's EventSource can send).
/// </summary>
internal sealed class ResourceTokens(IDataProtectionProvider protection)
{
    public const string Header = "Resource-Token";
    public const string Query = "token";

    private readonly IDataProtector _protector = protection.CreateProtector("Tidings.AspNetCore.ResourceToken.v1");

    public string For(string resourceId) => _protector.Protect(resourceId);

    /// <summary>True if the request carries the token of <paramref name="resourceId"/>.</summary>
    public bool Allows(HttpRequest request, string resourceId)
    {
        var token = request.Headers[Header].FirstOrDefault() ?? request.Query[Query].FirstOrDefault();
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        try
        {
            return _protector.Unprotect(token) == resourceId;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
