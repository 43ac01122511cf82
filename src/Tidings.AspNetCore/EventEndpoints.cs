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
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> (with an <c>{id}</c> route value; the status resource's path and
    /// <c>/events</c>) as a stream of server-sent events: an <c>update</c> event for each event of the resource, with its id,
    /// then a <c>status</c> event with where it stands; at a final state an <c>end</c> event, and the stream ends. A
    /// reconnect with <c>Last-Event-ID</c> gets exactly the events after it (of those the resource keeps), and one to a
    /// finished resource with nothing left to tell gets 204, which tells an <c>EventSource</c> to stop. A comment every
    /// <see cref="TidingsAspNetCoreOptions.EventsHeartbeatInterval"/> keeps proxies from closing a quiet stream. Changes
    /// made by other instances of the service show within <see cref="TidingsAspNetCoreOptions.EventsPollInterval"/>.
    /// Only the holder of the resource's token may listen: anyone else gets 404.
    /// </summary>
    public static RouteHandlerBuilder MapAcceptedEvents(this IEndpointRouteBuilder endpoints, string pattern, ResourceEventSource source)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(source);
        var services = endpoints.ServiceProvider;
        var hub = new Lazy<ResourceWatchHub>(() => new ResourceWatchHub(
            source, services, services.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value.EventsPollInterval,
            services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventEndpoints).FullName!),
            services.GetService<IHostApplicationLifetime>()));
        return endpoints.MapGet(pattern, (Func<HttpContext, string, Task<IResult>>)((http, id) => OpenAsync(http, id, hub.Value)))
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
        if (!services.GetRequiredService<ResourceTokens>().Allows(http, out var issuedAt))
        {
            return NotFound();
        }

        long after = 0;
        if (http.Request.Headers["Last-Event-ID"].FirstOrDefault() is { Length: > 0 } last
            && (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
        {
            return Results.Problem("Last-Event-ID must be the id of an event of this stream.", statusCode: StatusCodes.Status400BadRequest,
                title: "The Last-Event-ID is not one of this stream's.", type: "https://tidings.dev/problems/invalid-last-event-id");
        }

        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var watch = hub.Acquire(id);
        try
        {
            await watch.Loaded.WaitAsync(http.RequestAborted).ConfigureAwait(false);
            var latest = watch.Latest;
            var accepted = issuedAt != default && time.GetUtcNow() - issuedAt < options.AcceptedGracePeriod;
            if (latest is null && !accepted)
            {
                return NotFound();
            }

            if (latest is { Status.Outcome: not ResourceOutcome.InProgress } && !latest.Events.Any(e => e.Id > after))
            {
                // Nothing left to tell: 204 is what makes an EventSource stop reconnecting.
                return Results.NoContent();
            }

            var stream = new ResourceEventStream(http, watch, after, options.EventsHeartbeatInterval, time,
                issuedAt + options.AcceptedGracePeriod, services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None);
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
