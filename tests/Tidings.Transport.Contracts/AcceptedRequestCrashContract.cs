using System.Net;
using System.Net.Http.Json;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>
/// An accepted request whose service process is killed with SIGKILL: between receiving it and committing (nothing is
/// kept, not even the key, and a retry makes the one resource), or after the commit and before the answer left (the
/// retry gets the stored answer). The key's record lives and dies with the business data's transaction.
/// </summary>
public abstract class AcceptedRequestCrashContract
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The worker's bus and database arguments (<c>--bus B --db D</c>, or RabbitMQ and PostgreSQL).</summary>
    protected abstract string[] WorkerArguments { get; }

    /// <summary>How many effects the service's database holds for <paramref name="seq"/>.</summary>
    protected abstract long CountEffects(int seq);

    [Fact]
    public async Task A_crash_before_the_commit_leaves_no_key_and_the_retry_makes_the_one_resource()
    {
        await CrashAsync("before-commit", seq: 1, key: "crash-1");
        Assert.Equal(0, CountEffects(1));

        using var restarted = await StartAsync();
        using var client = Client(restarted);
        var retry = await PostAsync(client, 1, "crash-1");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"), "a key of a request that never committed was kept");
        var again = await PostAsync(client, 1, "crash-1");
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, CountEffects(1));
        await restarted.StopAsync();
    }

    [Fact]
    public async Task A_crash_after_the_commit_keeps_the_answer_and_the_retry_gets_it()
    {
        await CrashAsync("after-commit", seq: 2, key: "crash-2");
        Assert.Equal(1, CountEffects(2));

        using var restarted = await StartAsync();
        using var client = Client(restarted);
        var retry = await PostAsync(client, 2, "crash-2");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"), "the committed answer was not kept");
        Assert.Equal("/work/2", retry.Headers.Location?.ToString());
        Assert.Equal(1, CountEffects(2));
        await restarted.StopAsync();
    }

    private async Task CrashAsync(string where, int seq, string key)
    {
        using var crashing = await StartAsync();
        using var client = Client(crashing);
        var request = Request(seq, key);
        request.Headers.Add("X-Crash", where);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.SendAsync(request, Ct));
        var exit = await crashing.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit is 137 or -1 or 9, $"expected death by SIGKILL, got exit code {exit}: {crashing.Output}");
        Assert.Contains("crashing " + where.Replace("-", " the ", StringComparison.Ordinal), crashing.Output, StringComparison.Ordinal);
    }

    private async Task<WorkerProcess> StartAsync()
    {
        var worker = WorkerProcess.Start(["http", .. WorkerArguments]);
        await worker.WaitForReadyAsync();
        return worker;
    }

    private static HttpClient Client(WorkerProcess worker)
    {
        var address = worker.Output.Split(Environment.NewLine).Last(l => l.StartsWith("listening ", StringComparison.Ordinal))["listening ".Length..];
        return new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, int seq, string key) => client.SendAsync(Request(seq, key), Ct);

    private static HttpRequestMessage Request(int seq, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/work") { Content = JsonContent.Create(new { seq }) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }
}
