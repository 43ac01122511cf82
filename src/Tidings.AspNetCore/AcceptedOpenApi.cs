using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Tidings.AspNetCore;

/// <summary>
/// What the accepted-request helpers add to an OpenAPI document (<c>Microsoft.AspNetCore.OpenApi</c>) beyond the status
/// codes and bodies their metadata names: the request body (read by the helper, so not found by the generator), the
/// headers each side sends (<c>Idempotency-Key</c>, <c>Resource-Token</c>, <c>Last-Event-ID</c>; <c>Location</c>,
/// <c>Retry-After</c>, <c>ETag</c>) and what each answer means.
/// </summary>
internal static class AcceptedOpenApi
{
    private const string Problem = "application/problem+json";

    public static RouteHandlerBuilder DescribeAccepted<TRequest>(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var options = context.ApplicationServices.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value;
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "The request, as JSON. Its data annotations are checked before anything runs.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(TRequest), null, cancellationToken).ConfigureAwait(false) },
                },
            };
            AddHeader(operation, options.IdempotencyKeyHeader, options.RequireIdempotencyKey,
                "A key of the client's choosing (a UUID) for this request: a retry with it gets the first response again and does nothing twice (draft-ietf-httpapi-idempotency-key-header).");
            Describe(operation, "202", "Accepted: the work goes on asynchronously. Follow `Location` (with the body's `token`).",
                ("Location", "Where the status of the work is read."), ("Retry-After", "Seconds to wait before looking."),
                ("Idempotent-Replayed", "`true` when this is the first response again, for a retry with the same key."));
            Describe(operation, "400", "The key is missing, repeated, malformed or too long, or the body is not the request (validation problems are listed).");
            Describe(operation, "409", "A request with this key is still being handled: retry later.");
            Describe(operation, "413", "The body is larger than allowed.");
            Describe(operation, "415", "The body is not JSON.");
            Describe(operation, "422", "The key was used for another request (another method, path or body), or the handler refused the request.");
        });

    public static RouteHandlerBuilder DescribeStatus(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            AddToken(operation);
            AddHeader(operation, "If-None-Match", required: false, "The `ETag` of an earlier answer: 304 if nothing changed since.");
            Describe(operation, "200", "In progress (the status), or failed (problem details, `application/problem+json`, with the `state`).",
                ("ETag", "The version of the status."), ("Retry-After", "Seconds to wait before looking again, while in progress."));
            AddContent(operation, "200", Problem);
            Describe(operation, "303", "Done: the result is at `Location` (See Other, never 302).", ("Location", "Where the result is."));
            Describe(operation, "304", "Not modified since the `If-None-Match` version.");
            Describe(operation, "404", "There is no such resource, or the request does not carry its token, from its caller.");
            return Task.CompletedTask;
        });

    public static RouteHandlerBuilder DescribeEvents(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            AddToken(operation);
            AddHeader(operation, "Last-Event-ID", required: false, "The id of the last event the client had: the stream resumes after it.");
            Describe(operation, "200",
                "Server-sent events: `update` (one per change, its id the change's position), `status` (where the resource stands), `end` (the final state; the stream then ends), and a `: heartbeat` comment while quiet.");
            AddContent(operation, "200", "text/event-stream");
            Describe(operation, "204", "The resource is finished and the client has every event: stop reconnecting.");
            Describe(operation, "400", "`Last-Event-ID` is not an event id.");
            Describe(operation, "404", "There is no such resource, or the request does not carry its token, from its caller.");
            return Task.CompletedTask;
        });

    public static RouteHandlerBuilder DescribeResult(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            AddToken(operation);
            Describe(operation, "200", "The result of the finished work.");
            Describe(operation, "404", "There is no result (not done, or not done well), or the request does not carry the work's token, from its caller.");
            return Task.CompletedTask;
        });

    public static RouteHandlerBuilder DescribeCancel(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            AddToken(operation);
            Describe(operation, "202", "The cancellation was taken; the undoing happens asynchronously (follow the status).", ("Location", "Where the status is read."));
            Describe(operation, "404", "There is no such resource, or the request does not carry its token, from its caller.");
            Describe(operation, "409", "Too late: the workflow no longer allows cancelling.");
            return Task.CompletedTask;
        });

    private static void AddContent(OpenApiOperation operation, string status, string contentType)
    {
        var response = (OpenApiResponse)operation.Responses![status];
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        response.Content[contentType] = new OpenApiMediaType { Schema = contentType == Problem ? null : new OpenApiSchema { Type = JsonSchemaType.String } };
    }

    private static void AddToken(OpenApiOperation operation) =>
        AddHeader(operation, ResourceTokens.Header, required: false,
            "The `token` of the 202 that accepted the work (or the `token` query parameter, where a header cannot be set). Without it, 404.");

    private static void AddHeader(OpenApiOperation operation, string name, bool required, string description)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Required = required,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
    }

    private static void Describe(OpenApiOperation operation, string status, string description, params (string Name, string Description)[] headers)
    {
        operation.Responses ??= [];
        if (!operation.Responses.TryGetValue(status, out var found) || found is not OpenApiResponse response)
        {
            operation.Responses[status] = response = new OpenApiResponse();
        }

        response.Description = description;
        if (headers.Length > 0)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            foreach (var (name, text) in headers)
            {
                response.Headers[name] = new OpenApiHeader { Description = text, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
        }

        // Every refusal is problem details.
        if (status[0] is '4' && (response.Content is null || !response.Content.ContainsKey(Problem)))
        {
            response.Content ??= new Dictionary<string, OpenApiMediaType>();
            response.Content[Problem] = new OpenApiMediaType();
        }
    }
}
