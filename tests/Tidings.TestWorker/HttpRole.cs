using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.AspNetCore;

namespace Tidings.TestWorker;

/// <summary>
/// A counter service: <c>POST /work</c> accepts a <see cref="WorkItem"/> with an Idempotency-Key, writes its effect and
/// publishes it in one transaction. <c>X-Crash: before-commit</c> kills the process (SIGKILL) after the writes and before
/// the commit; <c>X-Crash: after-commit</c> kills it after the commit, before the response leaves.
/// </summary>
internal static class HttpRole
{
    public static async Task RunAsync(Dictionary<string, string> options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddTidings(t => Bus.Configure(t, "http", options));
        builder.Services.AddTidingsAspNetCore();
        await using var app = builder.Build();
        app.Use((http, next) =>
        {
            if (http.Request.Headers["X-Crash"] == "after-commit")
            {
                // The 202 starts only once its transaction committed.
                http.Response.OnStarting(() => Crash("after the commit"));
            }

            return next(http);
        });
        app.MapAccepted<WorkItem>("/work", async (work, accept) =>
        {
            await using (var insert = accept.Connection.CreateCommand())
            {
                insert.Transaction = accept.Transaction;
                insert.CommandText = $"INSERT INTO effects (seq, message_id) VALUES ({work.Seq}, 'http')";
                await insert.ExecuteNonQueryAsync(accept.CancellationToken);
            }

            // An event of its own: other tests' queues subscribe to WorkItem.
            await accept.PublishAsync(new HttpWorkAccepted(work.Seq), cancellationToken: accept.CancellationToken);
            if (accept.HttpContext.Request.Headers["X-Crash"] == "before-commit")
            {
                await Crash("before the commit");
            }

            return AcceptContext.Resource(work.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), $"/work/{work.Seq}");
        });

        await Effects.CreateAsync(app.Services);
        await app.StartAsync();
        Console.WriteLine("listening " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Console.WriteLine("ready");
        await Task.Run(() => Console.In.ReadToEnd());
        await app.StopAsync();
    }

    private static Task Crash(string when)
    {
        Console.WriteLine("crashing " + when);
        Console.Out.Flush();
        Process.GetCurrentProcess().Kill();
        return Task.CompletedTask;
    }
}

/// <summary>What the http role publishes for each accepted work item.</summary>
[MessageName("test.http-work-accepted")]
public sealed record HttpWorkAccepted(int Seq);
