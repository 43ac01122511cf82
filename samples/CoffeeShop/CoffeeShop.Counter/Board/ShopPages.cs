using Microsoft.Extensions.FileProviders;

namespace CoffeeShop.Counter.Board;

/// <summary>The order page (<c>/</c>) and the board (<c>/board.html</c>): plain HTML, CSS and script, embedded in the assembly.</summary>
public static class ShopPages
{
    public static IApplicationBuilder UseShopPages(this IApplicationBuilder app)
    {
        var pages = new ManifestEmbeddedFileProvider(typeof(ShopPages).Assembly, "wwwroot");
        return app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = pages }).UseStaticFiles(new StaticFileOptions { FileProvider = pages });
    }
}
