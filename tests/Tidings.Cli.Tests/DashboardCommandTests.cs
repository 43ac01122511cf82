using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.Cli.Tests.Support;
using Tidings.Sqlite;

namespace Tidings.Cli.Tests;

/// <summary>
/// <c>tidings dashboard</c> as a process beside a SQLite bus file with ten dead letters in two failure groups: its pages
/// and API answer on this machine, a group is replayed through it, and Ctrl+C stops it cleanly.
/// </summary>
public sealed partial class DashboardCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private string Bus => _directory.File("bus.db");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await DeadLetterFill.IntoBusFileAsync(Bus, 10);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_dashboard_beside_the_bus_shows_its_failures_and_queues_and_replays_a_group()
    {
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var logged = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var tool = ToolProcess.Start(line =>
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }

            if (line.Contains("replay of failure group", StringComparison.Ordinal))
            {
                logged.TrySetResult(line);
            }
        }, "dashboard", "--bus", Bus, "--urls", "http://127.0.0.1:0");
        var site = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        using var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = site };

        using var page = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        var groups = JsonDocument.Parse(await client.GetStringAsync("/api/failures/groups", Ct)).RootElement.EnumerateArray()
            .ToDictionary(g => g.GetProperty("id").GetString()!, g => g.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { [DeadLetterFill.DeclinedGroup] = 5, [DeadLetterFill.NoMilkGroup] = 5 }, groups);
        var queues = JsonDocument.Parse(await client.GetStringAsync("/api/queues", Ct)).RootElement.GetProperty("queues");
        var work = Assert.Single(queues.EnumerateArray());
        Assert.Equal("work", work.GetProperty("now").GetProperty("name").GetString());
        Assert.Equal(10, work.GetProperty("now").GetProperty("deadLetters").GetInt64());

        var session = JsonDocument.Parse(await client.GetStringAsync("/api/session", Ct)).RootElement.GetProperty("antiforgery");
        using var replay = new HttpRequestMessage(HttpMethod.Post, "/api/failures/replay")
        {
            Content = new StringContent($"{{\"group\":\"{DeadLetterFill.DeclinedGroup}\"}}", Encoding.UTF8, "application/json"),
        };
        replay.Headers.Add(session.GetProperty("header").GetString()!, session.GetProperty("token").GetString());
        using var replayed = await client.SendAsync(replay, Ct);
        Assert.True(replayed.IsSuccessStatusCode, await replayed.Content.ReadAsStringAsync(Ct));
        Assert.Equal(5, JsonDocument.Parse(await replayed.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("replayed").GetInt64());

        var left = JsonDocument.Parse(await client.GetStringAsync("/api/failures/groups", Ct)).RootElement;
        Assert.Equal(DeadLetterFill.NoMilkGroup, Assert.Single(left.EnumerateArray()).GetProperty("id").GetString());
        Assert.Contains("anonymous from 127.0.0.1", await logged.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct), StringComparison.Ordinal);

        tool.Interrupt();
        Assert.Equal(ExitCodes.Success, await tool.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_dashboard_beside_the_bus_hears_a_running_services_flow_report()
    {
        // A service on the same bus file, reporting its traffic every second.
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t => t
            .UseSqlite(new SqliteTransportOptions { Path = Bus, PollInterval = TimeSpan.FromMilliseconds(50) })
            .Configure(o =>
            {
                o.ServiceName = "tally-service";
                o.StatisticsInterval = TimeSpan.FromSeconds(1);
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            })
            .AddEndpoint("tally", e => e.Handle<Tally, TallyHandler>()));
        using var service = builder.Build();
        await service.StartAsync(Ct);
        try
        {
            var site = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var tool = ToolProcess.Start(line =>
            {
                if (Listening().Match(line) is { Success: true } match)
                {
                    site.TrySetResult(new Uri(match.Groups[1].Value));
                }
            }, "dashboard", "--bus", Bus, "--urls", "http://127.0.0.1:0", "--read-only");
            using var client = new HttpClient { BaseAddress = await site.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct) };

            // A service reports once it has done something since its first sample (and every two minutes when idle); the
            // dashboard hears what comes after its queue is there. So the service works on while the test looks.
            var bus = service.Services.GetRequiredService<IBus>();
            await Tidings.Transport.Contracts.Effects.WaitForAsync(async () =>
            {
                await bus.SendAsync("tally", new Tally(1), cancellationToken: Ct);
                var flow = JsonDocument.Parse(await client.GetStringAsync("/api/flow", Ct)).RootElement;
                return flow.GetProperty("services").EnumerateArray().Any(s =>
                    s.GetProperty("name").GetString() == "tally-service" && s.GetProperty("endpoints").EnumerateArray().Any(e => e.GetString() == "tally"));
            }, TimeSpan.FromSeconds(30), () => "the dashboard did not hear the service's flow report");
            tool.Interrupt();
            Assert.Equal(ExitCodes.Success, await tool.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [GeneratedRegex(@"is at (http://\S+?)[ ,]")]
    private static partial Regex Listening();
}

[MessageName("test.tally")]
public sealed record Tally(int Count);

public sealed class TallyHandler : IHandleMessages<Tally>
{
    public Task HandleAsync(Tally message, IMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
