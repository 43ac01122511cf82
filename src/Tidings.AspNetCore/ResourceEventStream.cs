using System.Buffers;
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
    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    private long _after = after;

    public async Task RunAsync()
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var cancellationToken = linked.Token;
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                // Taken before the reading it follows, so that no change slips between them.
                var changed = watch.Changed;
                var latest = watch.Latest;
                if (latest is null)
                {
                    // Not there yet (its first message is on its way), or gone: a stream waits for it only as long as
                    // the status says "accepted".
                    if (time.GetUtcNow() >= acceptedUntil)
                    {
                        return;
                    }
                }
                else if (await WriteAsync(latest, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                using var quiet = new CancellationTokenSource(heartbeat, time);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, quiet.Token);
                try
                {
                    await changed.WaitAsync(either.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (quiet.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    await response.Body.WriteAsync(Heartbeat, cancellationToken).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            // The service stops: the client reconnects (to another instance) with its last event id.
        }
    }

    /// <summary>Writes the events after the client's last, and the status; true at a final state (the stream then ends).</summary>
    private async Task<bool> WriteAsync(ResourceHistory latest, CancellationToken cancellationToken)
    {
        var fresh = latest.Events.Where(e => e.Id > _after).ToList();
        var status = latest.Status;
        var final = status.Outcome != ResourceOutcome.InProgress;
        if (fresh.Count == 0 && !final)
        {
            return false;
        }

        var items = new List<SseItem<object?>>(fresh.Count + 1);
        items.AddRange(fresh.Select(e => new SseItem<object?>(e.Data, e.Type) { EventId = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        items.Add(new SseItem<object?>(StatusEvent.From(status), final ? "end" : "status"));
        await SseFormatter.WriteAsync(Items(items), http.Response.Body, Format, cancellationToken).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (fresh.Count > 0)
        {
            _after = fresh[^1].Id;
        }

        return final;
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
