namespace Tidings.Dashboard.Tests.Support;

/// <summary>A test class with Chromium of its own; a script error on any page it opened fails the test at its end.</summary>
public abstract class BrowserTest : IAsyncLifetime
{
    private Browser? _browser;

    protected Browser Chromium => _browser ?? throw new InvalidOperationException("The browser starts before the test.");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _browser = await Browser.LaunchAsync();

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            var errors = _browser.Errors.ToList();
            await _browser.DisposeAsync();
            Assert.True(errors.Count == 0, "The pages' scripts failed:\n" + string.Join('\n', errors));
        }

        GC.SuppressFinalize(this);
    }
}
