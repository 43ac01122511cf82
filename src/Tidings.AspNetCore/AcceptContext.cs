using System.Data.Common;
using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>
/// What the handler of an accepted request works with: the transaction its data and messages commit in (with the
/// idempotency key's record), and a sender whose messages take ids derived from the caller, the key and the request.
/// A retry of the same request that got past the key (its record expired) sends the same ids, which every downstream
/// inbox recognises as duplicates.
/// </summary>
public sealed class AcceptContext : IMessageSender
{
    private readonly ITransactionalSession _session;
    private readonly string? _scope;
    private int _sent;

    private readonly string? _fingerprint;

    internal AcceptContext(ITransactionalSession session, HttpContext httpContext, string scope, string? key, string? fingerprint)
    {
        _session = session;
        HttpContext = httpContext;
        _scope = scope;
        IdempotencyKey = key;
        _fingerprint = fingerprint;
    }

    /// <summary>The request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The request's idempotency key, if it has one.</summary>
    public string? IdempotencyKey { get; }

    /// <summary>The open connection to the service's database.</summary>
    public DbConnection Connection => _session.Connection;

    /// <summary>The transaction; use it on every command.</summary>
    public DbTransaction Transaction => _session.Transaction;

    /// <summary>Cancelled when the client goes away.</summary>
    public CancellationToken CancellationToken => HttpContext.RequestAborted;

    /// <summary>
    /// Schedules <paramref name="message"/> for <paramref name="destination"/> at <paramref name="dueAt"/> in the request's
    /// transaction: it exists if and only if the request commits.
    /// </summary>
    public Task<Guid> ScheduleAsync<T>(string destination, T message, DateTimeOffset dueAt, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => _session.ScheduleAsync(destination, message, dueAt, WithKeyedId(options), cancellationToken);

    /// <summary>The resource the request made, for the 202: its id and where its status is read.</summary>
    public static AcceptedResource Resource(string id, string location) => new(id, location);

    /// <inheritdoc />
    public ValueTask PublishAsync<T>(T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => _session.PublishAsync(message, WithKeyedId(options), cancellationToken);

    /// <inheritdoc />
    public ValueTask SendAsync<T>(string destination, T message, SendOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => _session.SendAsync(destination, message, WithKeyedId(options), cancellationToken);

    private SendOptions? WithKeyedId(SendOptions? options)
    {
        var n = _sent++;
        if (IdempotencyKey is null || options?.MessageId is not null)
        {
            return options;
        }

        // A copy: the caller's options may serve for several messages, each of which needs its own id.
        return new SendOptions
        {
            Delay = options?.Delay,
            DeliverAt = options?.DeliverAt,
            CorrelationId = options?.CorrelationId,
            ReplyTo = options?.ReplyTo,
            Headers = options?.Headers,
            MessageId = IdempotencyKeys.MessageId(_scope!, IdempotencyKey, _fingerprint!, n),
        };
    }
}
