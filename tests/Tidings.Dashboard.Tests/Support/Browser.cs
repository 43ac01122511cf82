using Microsoft.Playwright;

namespace Tidings.Dashboard.Tests.Support;

/// <summary>Debian's Chromium, headless, driven by Playwright; and where the pages' screenshots go.</summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        _playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    /// <summary>The test run's screenshots: <c>.artifacts/screenshots</c> at the repository's root (docs/images holds the published ones).</summary>
    public static string Screenshots { get; } = FindScreenshots();

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var executable = Environment.GetEnvironmentVariable("TIDINGS_CHROMIUM") ?? "/usr/bin/chromium";
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Args = ["--no-sandbox"] });
        return new Browser(playwright, chromium);
    }

    public async Task<IPage> OpenAsync(Uri site, string path)
    {
        var page = await Chromium.NewPageAsync(new BrowserNewPageOptions { BaseURL = site.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        // A script error is collected (Playwright raises the event on its own thread) and fails the test at its end.
        page.PageError += (_, error) => _errors.Enqueue($"{path}: {error}");
        await page.GotoAsync(path);
        return page;
    }

    public static Task ShootAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"dashboard-{name}.png"), FullPage = true });

    /// <summary>The pages' script errors so far; a test asserts there were none.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }

    private static string FindScreenshots()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tidings.slnx")))
        {
            directory = directory.Parent;
        }

        var root = directory?.FullName ?? AppContext.BaseDirectory;
        return Directory.CreateDirectory(Path.Combine(root, ".artifacts", "screenshots")).FullName;
    }
}
