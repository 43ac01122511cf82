using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.FileProviders;

namespace Tidings.Dashboard;

/// <summary>
/// The pages and their scripts and styles, embedded in this assembly: nothing is fetched at run time. They are served
/// as endpoints of the dashboard's group, so the gate that guards the API guards them too.
/// </summary>
internal static class DashboardAssets
{
    private static readonly ManifestEmbeddedFileProvider Files = new(typeof(DashboardAssets).Assembly, "assets");

    private static readonly string[] Pages = ["failures", "queues", "sagas", "scheduled", "flow"];

    // Scripts and styles from this server only, no inline script, no framing: a message body shown on a page can do nothing.
    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", (HttpContext http) =>
            // The pages' links are relative: /tidings must become /tidings/ for them to resolve under it.
            http.Request.Path.Value?.EndsWith('/') == true
                ? Serve(http, "overview.html")
                : Results.Redirect($"{http.Request.PathBase}{http.Request.Path}/{http.Request.QueryString}"));

        group.MapGet("{page}", (HttpContext http, string page) =>
            Pages.Contains(page, StringComparer.Ordinal) ? Serve(http, page + ".html") : DashboardProblems.NotFound($"No page '{page}'."));

        group.MapGet("assets/{file}", (HttpContext http, string file) => Serve(http, file));
    }

    private static IResult Serve(HttpContext http, string name)
    {
        var file = Files.GetFileInfo(name);
        if (!file.Exists || file.IsDirectory)
        {
            return DashboardProblems.NotFound($"No file '{name}'.");
        }

        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-cache";
        if (name.EndsWith(".html", StringComparison.Ordinal))
        {
            headers.ContentSecurityPolicy = Policy;
            headers["Referrer-Policy"] = "no-referrer";
        }

        return Results.Stream(file.CreateReadStream(), ContentType(name), lastModified: file.LastModified);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
