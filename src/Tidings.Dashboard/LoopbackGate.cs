using System.Net;
using Microsoft.AspNetCore.Http;

namespace Tidings.Dashboard;

/// <summary>
/// Without an authorization policy, a request is answered only if it comes from this machine, to this machine's own
/// name: a loopback address (not one a proxy forwarded) and a Host of localhost or a loopback address. The Host check
/// stops a page elsewhere that rebinds its DNS name to 127.0.0.1 (it would be same-origin with the dashboard).
/// </summary>
internal static class LoopbackGate
{
    private static readonly string[] ForwardingHeaders = ["X-Forwarded-For", "Forwarded", "X-Original-For", "X-Real-IP"];

    public static bool Admits(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
        && IsLocalName(http.Request.Host.Host)
        && !ForwardingHeaders.Any(http.Request.Headers.ContainsKey);

    private static bool IsLocalName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
