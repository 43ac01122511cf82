using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tidings.AspNetCore;

/// <summary>Maps the live updates of accepted work, as server-sent events.</summary>
public static class EventEndpoints
{
    /// <summary>How long a new stream waits for the first reading of its resource before it tells the client to come back.</summary>
    private static readonly TimeSpan FirstReadPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> (with an <c>{id}</c> route value; the status resource's path and
    /// <c>/events</c>) as a stream of server-sent events: an <c>update</c> event for each event of the resource, with its id,
    /// then a <c>status</c> event with where it stands; at a final state an <c>end</c> event (its id the last event's
    /// and <c>.end</c>), and the stream ends. A reconnect with <c>Last-Event-ID</c> gets exactly the events after it (of
    /// those the resource keeps), and one after the <c>end</c> gets 204, which tells an <c>EventSource</c> to stop. While
    /// the resource cannot be read, or the service stops, the answer is a stream that only says when to come back. A comment every
    /// <see cref="TidingsAspNetCoreOptions.EventsHeartbeatInterval"/> keeps proxies from closing a quiet stream. Changes
    /// made by other instances of the service show within <see cref="TidingsAspNetCoreOptions.EventsPollInterval"/>.
    /// Only the holder of the resource's token may listen: anyone else gets 404.
    /// </summary>
    public static RouteHandlerBuilder MapAcceptedEvents(this IEndpointRouteBuilder endpoints, string pattern, ResourceEventSource source)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(source);
        var services = endpoints.ServiceProvider;
        // Made now, not at the first request: it listens to this process's saga changes from the start, so that a
        // change a saga commits while the first stream opens is never missed.
        var hub = new ResourceWatchHub(
            source, services, services.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value.EventsPollInterval,
            services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventEndpoints).FullName!),
            services.GetService<IHostApplicationLifetime>());
        return endpoints.MapGet(pattern, (Func<HttpContext, string, Task<IResult>>)((http, id) => OpenAsync(http, id, hub)))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .DescribeEvents();
    }

    private static async Task<IResult> OpenAsync(HttpContext http, string id, ResourceWatchHub hub)
    {
        var services = http.RequestServices;
        http.Response.Headers.CacheControl = "no-store";
        var options = services.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value;
        if (!services.GetRequiredService<ResourceTokens>().Allows(http, out var issuedAt, subresource: true))
        {
            return NotFound();
        }

        // "N": the client had event N; "N.end": it had the end as well.
        long after = 0;
        var endSeen = false;
        if (http.Request.Headers["Last-Event-ID"].FirstOrDefault() is { Length: > 0 } last)
        {
            endSeen = last.EndsWith(ResourceEventStream.EndSuffix, StringComparison.Ordinal);
            if (!long.TryParse(endSeen ? last[..^ResourceEventStream.EndSuffix.Length] : last, NumberStyles.None, CultureInfo.InvariantCulture, out after))
            {
                return Results.Problem("Last-Event-ID must be the id of an event of this stream.", statusCode: StatusCodes.Status400BadRequest,
                    title: "The Last-Event-ID is not one of this stream's.", type: "https://tidings.dev/problems/invalid-last-event-id");
            }
        }

        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        var watch = hub.Acquire(id);
        try
        {
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping))
            {
                try
                {
                    await watch.Loaded.WaitAsync(FirstReadPatience, time, waiting.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !http.RequestAborted.IsCancellationRequested))
                {
                    // Stopping, or the database is slow: come back soon (to this instance or another).
                    await ResourceEventStream.ReconnectAsync(http, options.RetryAfter).ConfigureAwait(false);
                    return Results.Empty;
                }
            }

            var (latest, failure) = watch.Current;
            if (latest is null && failure is not null)
            {
                // It could not be read: not "not found", which would be a lie; the client tries again shortly.
                await ResourceEventStream.ReconnectAsync(http, options.RetryAfter).ConfigureAwait(false);
                return Results.Empty;
            }

            var accepted = issuedAt != default && time.GetUtcNow() - issuedAt < options.AcceptedGracePeriod;
            if (latest is null && !accepted)
            {
                return NotFound();
            }

            if (latest is { Status.Outcome: not ResourceOutcome.InProgress } && endSeen && !latest.Events.Any(e => e.Id > after))
            {
                // It had everything, the end included: 204 is what makes an EventSource stop reconnecting.
                return Results.NoContent();
            }

            var stream = new ResourceEventStream(http, watch, after, options.EventsHeartbeatInterval, time, issuedAt + options.AcceptedGracePeriod, stopping);
            await stream.RunAsync().ConfigureAwait(false);
            return Results.Empty;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        finally
        {
            hub.Release(watch);
        }
    }

    private static IResult NotFound() =>
        // Whether it exists is none of the business of someone without its token.
        Results.Problem("There is no such resource, or this request may not read it.", statusCode: StatusCodes.Status404NotFound,
            title: "Not found.", type: "https://tidings.dev/problems/not-found");
}
