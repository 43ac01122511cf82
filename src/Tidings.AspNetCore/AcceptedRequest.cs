using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tidings.Stores;

namespace Tidings.AspNetCore;

/// <summary>
/// One accepted request, after the IETF Idempotency-Key draft: the key checked (missing 400, another request's 422,
/// in flight 409, done: the first response again), the handler run in a transaction of the service's own database,
/// and the 202 recorded under the key in that same transaction, so the response exists if and only if the work does.
/// </summary>
internal static partial class AcceptedRequest
{
    public static async Task<IResult> HandleAsync<TRequest>(HttpContext http, Func<TRequest, AcceptContext, Task<AcceptedResource>> handle)
    {
        var services = http.RequestServices;
        var options = services.GetRequiredService<IOptions<TidingsAspNetCoreOptions>>().Value;
        var cancellationToken = http.RequestAborted;
        var headers = http.Request.Headers[options.IdempotencyKeyHeader];
        if (headers.Count > 1)
        {
            return Problems.BadRequest($"Send one {options.IdempotencyKeyHeader} header, not {headers.Count}.", "idempotency-key-repeated");
        }

        var key = headers.Count == 1 ? KeyValue(headers[0]) : null;
        if (key == Repeated)
        {
            return Problems.BadRequest($"Send one {options.IdempotencyKeyHeader}, not a list of them.", "idempotency-key-repeated");
        }

        if (key == Malformed)
        {
            return Problems.BadRequest($"The {options.IdempotencyKeyHeader} is not a string (RFC 8941) nor a plain value.", "idempotency-key-malformed");
        }

        if (string.IsNullOrEmpty(key))
        {
            if (options.RequireIdempotencyKey)
            {
                return Problems.BadRequest(
                    $"This endpoint needs an {options.IdempotencyKeyHeader} header (a new random value, a UUID say, per request; the same value on its retries).",
                    "idempotency-key-missing");
            }

            key = null;
        }
        else if (key.Length > options.MaxIdempotencyKeyLength)
        {
            return Problems.BadRequest($"The {options.IdempotencyKeyHeader} is longer than {options.MaxIdempotencyKeyLength} characters.", "idempotency-key-too-long");
        }

        // JSON only: a form or text/plain body is what a cross-site page can send without asking first.
        if (!http.Request.HasJsonContentType())
        {
            return Problems.UnsupportedMediaType();
        }

        // Kestrel's own limit would answer before this one, and without problem details: it gets room for the last read.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxRequestBodyBytes > long.MaxValue - (64 * 1024) ? null : options.MaxRequestBodyBytes + (64 * 1024);
        }

        var body = await RequestBody.ReadAsync(http.Request, options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return Problems.TooLarge(options.MaxRequestBodyBytes);
        }

        TRequest? request;
        var json = services.GetService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()?.Value.SerializerOptions ?? JsonSerializerOptions.Web;
        try
        {
            request = JsonSerializer.Deserialize<TRequest>(body, json);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The body is not a valid {typeof(TRequest).Name}: {ex.Message}", "invalid-body");
        }

        if (request is null)
        {
            return Problems.BadRequest($"The body must be a {typeof(TRequest).Name}, not null.", "invalid-body");
        }

        // The request type's own data annotations ([Required], [Range], ...; top-level members), keyed by JSON name.
        string JsonName(string member) => member.Length == 0 ? member : json.PropertyNamingPolicy?.ConvertName(member) ?? member;
        var invalid = new List<ValidationResult>();
        if (!Validator.TryValidateObject(request, new ValidationContext(request), invalid, validateAllProperties: true))
        {
            return Results.ValidationProblem(
                invalid.SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(m => (Member: JsonName(m), r.ErrorMessage)))
                    .GroupBy(e => e.Member, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage ?? "is not valid").ToArray(), StringComparer.Ordinal),
                type: "https://tidings.dev/problems/invalid-request");
        }

        var scope = options.CallerIdentity(http);
        if (key is null)
        {
            return await RunAsync(http, options, request, handle, scope, key: null, fingerprint: null).ConfigureAwait(false);
        }

        var keys = services.GetRequiredService<IdempotencyKeys>();
        if (!keys.TryEnter(scope, key))
        {
            return Problems.InFlight(options.IdempotencyKeyHeader);
        }

        try
        {
            var fingerprint = IdempotencyKeys.Fingerprint(http.Request.Method, http.Request.Path + http.Request.QueryString, body);
            return await RunAsync(http, options, request, handle, scope, key, fingerprint).ConfigureAwait(false);
        }
        finally
        {
            keys.Exit(scope, key);
        }
    }

    private const string Repeated = "\0repeated";
    private const string Malformed = "\0malformed";

    /// <summary>
    /// The key in the header's value: the draft's structured-field string (RFC 8941: <c>"8e03…"</c>, where <c>\</c>
    /// escapes only <c>"</c> and <c>\</c>), or the bare token most clients send. <see cref="Repeated"/> for a list (two
    /// headers folded into one line); <see cref="Malformed"/> for anything else.
    /// </summary>
    private static string? KeyValue(string? value)
    {
        value = value?.Trim();
        if (string.IsNullOrEmpty(value) || value[0] != '"')
        {
            return value is not null && value.Contains(',', StringComparison.Ordinal) ? Repeated
                : value is not null && (value.Contains('"', StringComparison.Ordinal) || value.Any(c => c < 0x21 || c > 0x7E)) ? Malformed
                : value;
        }

        var key = new System.Text.StringBuilder(value.Length);
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                if (++i == value.Length || value[i] is not ('"' or '\\'))
                {
                    return Malformed;
                }

                key.Append(value[i]);
            }
            else if (c == '"')
            {
                var rest = value[(i + 1)..].TrimStart();
                return rest.Length == 0 ? key.ToString() : rest[0] == ',' ? Repeated : Malformed;
            }
            else if (c < 0x20 || c > 0x7E)
            {
                return Malformed;
            }
            else
            {
                key.Append(c);
            }
        }

        return Malformed; // no closing quote
    }

    private static async Task<IResult> RunAsync<TRequest>(
        HttpContext http, TidingsAspNetCoreOptions options, TRequest request, Func<TRequest, AcceptContext, Task<AcceptedResource>> handle,
        string scope, string? key, string? fingerprint)
    {
        var services = http.RequestServices;
        var cancellationToken = http.RequestAborted;
        var sessions = services.GetService<ITransactionalSessionFactory>() ?? throw new InvalidOperationException(
            "Accepted requests commit in the service's own database: configure a store in AddTidings (UseSqliteStore, UsePostgreSqlStore).");
        var keyStore = key is null ? null : services.GetService<IIdempotencyStore>() ?? throw new InvalidOperationException(
            "The store keeps no idempotency keys: use a store that does (UseSqliteStore, UsePostgreSqlStore).");
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;

        var session = await sessions.BeginAsync(cancellationToken).ConfigureAwait(false);
        await using var sessionScope = session.ConfigureAwait(false);
        if (keyStore is not null)
        {
            var claim = await keyStore.ClaimAsync(session.StoreTransaction, scope, key!, cancellationToken).ConfigureAwait(false);
            if (!claim.Claimed)
            {
                return Problems.InFlight(options.IdempotencyKeyHeader);
            }

            if (claim.Record is { } done)
            {
                return done.Fingerprint == fingerprint ? new StoredResponse(done, options.RetryAfter) : Problems.KeyReused(options.IdempotencyKeyHeader);
            }
        }

        AcceptedResource resource;
        try
        {
            resource = await handle(request, new AcceptContext(session, http, scope, key, fingerprint)).ConfigureAwait(false);
        }
        catch (AcceptRefusedException refused)
        {
            // Rolled back with the session; the key keeps nothing, so a corrected request may use it.
            return Results.Problem(refused.Detail, statusCode: refused.StatusCode, title: refused.Message, type: refused.Type);
        }

        var accepted = new AcceptedBody(resource.Id, "accepted", resource.Location, services.GetRequiredService<ResourceTokens>().For(scope, resource.Location));
        var json = JsonSerializer.SerializeToUtf8Bytes(accepted, JsonSerializerOptions.Web);
        if (keyStore is not null)
        {
            var now = time.GetUtcNow();
            var record = new IdempotencyRecord(scope, key!, fingerprint!, StatusCodes.Status202Accepted, resource.Location, "application/json", json, now, now + options.IdempotencyKeyExpiry);
            try
            {
                await keyStore.RecordAtCommitAsync(session.StoreTransaction, record, cancellationToken).ConfigureAwait(false);
            }
            catch (IdempotencyKeyTakenException)
            {
                return await AnswerTakenAsync(keyStore, session, options, scope, key!, fingerprint!).ConfigureAwait(false);
            }
        }

        // Past this point the work is done: a client that went away must not roll it back.
        try
        {
            await session.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IdempotencyKeyTakenException) when (keyStore is not null)
        {
            // Refused at the commit, by a store that writes the record there: nothing committed.
            return await AnswerTakenAsync(keyStore, session, options, scope, key!, fingerprint!).ConfigureAwait(false);
        }

        LogAccepted(services.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.AspNetCore"), http.Request.Path, resource.Id, key is not null);
        return new StoredResponse(StatusCodes.Status202Accepted, resource.Location, "application/json", json, options.RetryAfter);
    }

    /// <summary>
    /// Another request with the key committed first (a store that cannot claim keys, or a claim that raced its commit):
    /// its response is the answer; this one's work rolls back with the session.
    /// </summary>
    private static async Task<IResult> AnswerTakenAsync(
        IIdempotencyStore keyStore, ITransactionalSession session, TidingsAspNetCoreOptions options, string scope, string key, string fingerprint) =>
        await keyStore.FindAsync(session.StoreTransaction, scope, key, CancellationToken.None).ConfigureAwait(false) is { } first
            ? first.Fingerprint == fingerprint ? new StoredResponse(first, options.RetryAfter) : Problems.KeyReused(options.IdempotencyKeyHeader)
            : Problems.InFlight(options.IdempotencyKeyHeader);

    [LoggerMessage(LogLevel.Debug, "Accepted {Path}: resource {ResourceId} (idempotency key: {HasKey}).")]
    private static partial void LogAccepted(ILogger logger, string path, string resourceId, bool hasKey);
}
