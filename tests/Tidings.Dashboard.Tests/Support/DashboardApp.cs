using Cafe;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.Sqlite;

namespace Tidings.Dashboard.Tests.Support;

/// <summary>A test's own additions to the service's registration, inline.</summary>
internal static class TidingsBuilderTestExtensions
{
    public static TidingsBuilder Apply(this TidingsBuilder builder, Action<TidingsBuilder>? more)
    {
        more?.Invoke(builder);
        return builder;
    }
}

/// <summary>
/// A real service on Kestrel (127.0.0.1, a free port) with Tidings on the embedded defaults, a SQLite bus file and
/// store, and the dashboard mounted at /tidings: a tab endpoint whose card gateway is down, and a brewer saga.
/// </summary>
public sealed class DashboardApp : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;

    private DashboardApp(WebApplication app, DirectoryInfo directory)
    {
        App = app;
        _directory = directory;
    }

    public WebApplication App { get; }

    public Uri Address => new(App.Urls.First());

    public CardGateway Gateway => App.Services.GetRequiredService<CardGateway>();

    public IBus Bus => App.Services.GetRequiredService<IBus>();

    /// <summary>The SQLite bus file, for a second service on the same bus.</summary>
    public string BusFile => Path.Combine(_directory.FullName, "bus.db");

    public static async Task<DashboardApp> StartAsync(Action<TidingsDashboardOptions>? configure = null, Action<TidingsBuilder>? tidings = null)
    {
        var directory = Directory.CreateTempSubdirectory("tidings-dashboard-");
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("TIDINGS_TEST_LOG") is not null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        builder.Services.AddSingleton<CardGateway>();
        builder.Services.AddTidings(t => t
            .UseSqlite(new SqliteTransportOptions { Path = Path.Combine(directory.FullName, "bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) })
            .UseSqliteStore(Path.Combine(directory.FullName, "service.db"))
            .Configure(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
                o.StatisticsInterval = TimeSpan.FromSeconds(1);
                o.ServiceName = "cafe";
            })
            .AddEndpoint("tabs", e =>
            {
                e.Handle<SettleTab, SettleTabHandler>();
                e.Retries = RetryPolicy.None;
            })
            .AddEndpoint("brewer", e =>
            {
                e.Saga<BrewSaga>("brew", s => s.KeepCompleted = true);
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            })
            .Apply(tidings));

        builder.Services.AddTidingsDashboard(o =>
        {
            o.RefreshInterval = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapTidingsDashboard();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new DashboardApp(app, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
