using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console.Cli;
using Tidings.Cli.Connection;
using Tidings.Dashboard;
using Tidings.Operations;

namespace Tidings.Cli.Dashboard;

/// <summary>Where the dashboard listens, and what it may do.</summary>
public sealed class DashboardSettings : ConnectionSettings
{
    /// <summary>The address to listen on.</summary>
    [CommandOption("--urls <URLS>")]
    [Description("Where to listen (default http://127.0.0.1:5300). It answers this machine only: reach it from elsewhere through an SSH tunnel.")]
    public string Urls { get; init; } = "http://127.0.0.1:5300";

    /// <summary>Look, do not touch.</summary>
    [CommandOption("--read-only")]
    [Description("Show only: no replay, purge or cancel.")]
    public bool ReadOnly { get; init; }

    /// <summary>The queues to watch.</summary>
    [CommandOption("-q|--queue <QUEUE>")]
    [Description("A queue to watch (repeat for more). The SQLite bus file lists all of them by itself; on RabbitMQ the default is the endpoints with dead letters.")]
    public string[] Queue { get; init; } = [];
}

/// <summary>
/// <c>tidings dashboard</c>: the dashboard beside the services, on the bus and store the options name. As every
/// command of the tool, it starts none of a service's work: it reads, and changes only what an operator asks.
/// </summary>
public sealed class DashboardCommand : AsyncCommand<DashboardSettings>
{
    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, DashboardSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var connection = await ToolConnection.OpenAsync(settings, ToolNeeds.DeadLetters, cancellationToken);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        builder.WebHost.UseUrls(settings.Urls);
        // Standard error, as every line of the tool that is not its answer; each change made through the pages is logged.
        builder.Logging.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(settings.Verbose ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddFilter("Tidings.Dashboard", LogLevel.Information);

        // The connection's never-started host holds the bus and store; the web app lends its parts to the pages.
        var statistics = new ToolStatistics(connection, settings.Queue, TimeProvider.System);
        builder.Services.AddSingleton<IStatisticsHistory>(statistics).AddHostedService(_ => statistics);
        builder.Services.AddSingleton(connection.DeadLetters);
        if (connection.Address.HasBus)
        {
            // The services' flow reports come over the bus, to a temporary queue of the dashboard's own.
            builder.Services.AddSingleton(connection.Transport);
        }

        if (connection.Address.HasStore)
        {
            builder.Services.AddSingleton(connection.Store).AddSingleton(connection.Sagas).AddSingleton(connection.Scheduler);
        }

        builder.Services.AddTidingsDashboard(o => o.ReadOnly = settings.ReadOnly);
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        await using var app = builder.Build();
        app.MapTidingsDashboard("/");
        await app.StartAsync(cancellationToken);
        await Console.Error.WriteLineAsync($"tidings: the dashboard of {connection.Address.Describe()} is at {string.Join(", ", app.Urls)} (Ctrl+C stops it).");
        // Ctrl+C reaches the tool's token; SIGTERM (kill, a service manager) reaches the web app's lifetime. Either stops it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stop serving.
        }

        await app.StopAsync(CancellationToken.None);
        return ExitCodes.Success;
    }
}
