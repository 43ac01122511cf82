using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>How Tidings answers accepted requests and keeps their idempotency keys.</summary>
public sealed class TidingsAspNetCoreOptions
{
    /// <summary>The request header that carries the key (the IETF draft's name).</summary>
    public string IdempotencyKeyHeader { get; set; } = "Idempotency-Key";

    /// <summary>Whether a request without a key is refused (400). True by default: a retry without one could act twice.</summary>
    public bool RequireIdempotencyKey { get; set; } = true;

    /// <summary>How long a key's response is kept and given again to a retry; after that the key may be used anew. 24 hours.</summary>
    public TimeSpan IdempotencyKeyExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often expired keys are removed. An hour.</summary>
    public TimeSpan IdempotencyCleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest key accepted (longer ones get 400). 255 characters.</summary>
    public int MaxIdempotencyKeyLength { get; set; } = 255;

    /// <summary>The longest body accepted (longer ones get 413). 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Whose key a request's key is: one caller can never replay, nor read the response of, another caller's key. By
    /// default the authenticated user's <c>NameIdentifier</c> claim (or name), and for anonymous requests one shared
    /// scope: anonymous callers are told apart only by the keys they choose, which should be random (a UUID).
    /// </summary>
    public Func<HttpContext, string> CallerIdentity { get; set; } = DefaultCallerIdentity;

    /// <summary>How long the token in a 202 lets its caller read the resource's status and events. Seven days.</summary>
    public TimeSpan ResourceTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long after its 202 a resource the status does not know yet reads as <c>accepted</c> (its first message is on
    /// its way); after that it is 404. Five minutes.
    /// </summary>
    public TimeSpan AcceptedGracePeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>Retry-After</c> a 202 suggests before the client looks at the status. One second.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a live stream may stay quiet before it sends a comment, so that proxies keep it open. 15 seconds.</summary>
    public TimeSpan EventsHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often live streams look in the store for changes of the resources they watch (one query for all of them), so
    /// that a change made by another instance of the service shows within it. This instance's own changes show at once.
    /// 100 milliseconds.
    /// </summary>
    public TimeSpan EventsPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    private static string DefaultCallerIdentity(HttpContext context)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true && (user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity.Name) is { Length: > 0 } id)
        {
            return "user:" + id;
        }

        return "anonymous";
    }
}
