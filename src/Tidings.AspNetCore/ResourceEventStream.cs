using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tidings.AspNetCore;

/// <summary>
/// One client's live stream of a resource: what the shared watch reads, after the client's last event, written with
/// <see cref="SseFormatter"/>, and a comment when nothing happened for a heartbeat interval (which the built-in
/// server-sent events result cannot write).
/// </summary>
internal sealed class ResourceEventStream(
    HttpContext http, ResourceWatch watch, long after, TimeSpan heartbeat, TimeProvider time, DateTimeOffset acceptedUntil, CancellationToken stopping)
{
    /// <summary>What ends the id of the <c>end</c> event (<c>3.end</c>).</summary>
    public const string EndSuffix = ".end";

    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    private long _after = after;

    public async Task RunAsync()
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var cancellationToken = linked.Token;
        var response = http.Response;
        try
        {
            Prepare(http);
            await response.StartAsync(cancellationToken).ConfigureAwait(false);
            var lastWrite = time.GetTimestamp();
            var seen = false;
            while (true)
            {
                // Taken before the reading it follows, so that no change slips between them.
                var changed = watch.Changed;
                var latest = watch.Latest;
                if (latest is null)
                {
                    // Not there yet (its first message is on its way): waited for as long as the status says
                    // "accepted". Gone after it was there (not kept once completed): nothing more to tell.
                    if (seen || time.GetUtcNow() >= acceptedUntil)
                    {
                        return;
                    }
                }
                else
                {
                    seen = true;
                    var (wrote, final) = await WriteAsync(latest, cancellationToken).ConfigureAwait(false);
                    if (final)
                    {
                        return;
                    }

                    if (wrote)
                    {
                        lastWrite = time.GetTimestamp();
                    }
                }

                // A heartbeat when nothing was written for a whole interval, however often the resource was read.
                var quiet = heartbeat - time.GetElapsedTime(lastWrite);
                if (quiet <= TimeSpan.Zero)
                {
                    await response.Body.WriteAsync(Heartbeat, cancellationToken).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    lastWrite = time.GetTimestamp();
                    continue;
                }

                using var timer = new CancellationTokenSource(quiet, time);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                try
                {
                    await changed.WaitAsync(either.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Quiet for the interval: the loop writes the heartbeat.
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            // The service stops: the client reconnects (to another instance) with its last event id.
        }
    }

    /// <summary>
    /// Answers with a stream that only tells the client to come back after <paramref name="after"/>: what an
    /// <c>EventSource</c> does with it (any status but 200 would make it give up for good).
    /// </summary>
    public static async Task ReconnectAsync(HttpContext http, TimeSpan after)
    {
        Prepare(http);
        // Never sooner than a second: a retry of 0 would have every client hammer the service through an outage.
        var retry = System.Text.Encoding.UTF8.GetBytes($"retry: {Math.Max(1000, (long)after.TotalMilliseconds)}\n\n");
        await http.Response.Body.WriteAsync(retry, http.RequestAborted).ConfigureAwait(false);
    }

    private static void Prepare(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Writes the events after the client's last, and the status; says whether it wrote, and whether the state is final (the stream then ends).</summary>
    private async Task<(bool Wrote, bool Final)> WriteAsync(ResourceHistory latest, CancellationToken cancellationToken)
    {
        var fresh = latest.Events.Where(e => e.Id > _after).ToList();
        var status = latest.Status;
        var final = status.Outcome != ResourceOutcome.InProgress;
        if (fresh.Count == 0 && !final)
        {
            return (false, false);
        }

        var items = new List<SseItem<object?>>(fresh.Count + 1);
        items.AddRange(fresh.Select(e => new SseItem<object?>(e.Data, e.Type) { EventId = e.Id.ToString(CultureInfo.InvariantCulture) }));

        // The end has an id of its own: a client that reconnects after it is told 204 (stop); one that missed it gets it.
        items.Add(final
            ? new SseItem<object?>(StatusEvent.From(status), "end") { EventId = status.Version.ToString(CultureInfo.InvariantCulture) + EndSuffix }
            : new SseItem<object?>(StatusEvent.From(status), "status"));
        await SseFormatter.WriteAsync(Items(items), http.Response.Body, Format, cancellationToken).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (fresh.Count > 0)
        {
            _after = fresh[^1].Id;
        }

        return (true, final);
    }

    private static void Format(SseItem<object?> item, IBufferWriter<byte> buffer)
    {
        using var writer = new Utf8JsonWriter(buffer);
        JsonSerializer.Serialize(writer, item.Data, item.Data?.GetType() ?? typeof(object), JsonSerializerOptions.Web);
    }

#pragma warning disable CS1998 // an async iterator over what is at hand
    private static async IAsyncEnumerable<SseItem<object?>> Items(List<SseItem<object?>> items)
#pragma warning restore CS1998
    {
        foreach (var item in items)
        {
            yield return item;
        }
    }
}

/// <summary>The data of a live stream's <c>status</c> and <c>end</c> events: where the resource stands.</summary>
/// <param name="Id">The resource's id.</param>
/// <param name="Status">Its state in the workflow's words.</param>
/// <param name="Outcome"><c>in-progress</c>, <c>succeeded</c> or <c>failed</c>.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="Version">The id of its last event.</param>
/// <param name="Location">Where the result is, once it succeeded.</param>
/// <param name="Failure">Why it failed, once it failed.</param>
public sealed record StatusEvent(string Id, string Status, string Outcome, DateTimeOffset UpdatedAt, long Version, string? Location, ResourceFailure? Failure)
{
    internal static StatusEvent From(ResourceStatus status) => new(
        status.Id, status.Status,
        status.Outcome switch { ResourceOutcome.InProgress => "in-progress", ResourceOutcome.Succeeded => "succeeded", _ => "failed" },
        status.UpdatedAt, status.Version, status.ResultLocation, status.Failure);
}
