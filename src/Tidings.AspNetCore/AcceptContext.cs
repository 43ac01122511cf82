using System.Data.Common;
using Microsoft.AspNetCore.Http;

namespace Tidings.AspNetCore;

/// <summary>
/// What the handler of an accepted request works with: the transaction its data and messages commit in (with the
/// idempotency key's record), and a sender whose messages take ids derived from the key. A retry of the request that
/// got past the key (its record expired, say) sends the same ids, which every downstream inbox recognises.
/// </summary>
public sealed class AcceptContext : IMessageSender
{
    private readonly ITransactionalSession _session;
    private readonly string? _scope;
    private int _sent;

    internal AcceptContext(ITransactionalSession session, HttpContext http, string scope, string? key)
    {
        _session = session;
        Http = http;
        _scope = scope;
        IdempotencyKey = key;
    }

    /// <summary>The request.</summary>
    public HttpContext Http { get; }

    /// <summary>The request's idempotency key, if it has one.</summary>
    public string? IdempotencyKey { get; }

    /// <summary>The open connection to the service's database.</summary>
    public DbConnection Connection => _session.Connection;

    /// <summary>The transaction; use it on every command.</summary>
    public DbTransaction Transaction => _session.Transaction;

    /// <summary>The session itself, to schedule messages, say.</summary>
    public ITransactionalSession Session => _session;

    /// <summary>Cancelled when the client goes away.</summary>
    public CancellationToken CancellationToken => Http.RequestAborted;

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

        var keyed = options ?? new SendOptions();
        keyed.MessageId = IdempotencyKeys.MessageId(_scope!, IdempotencyKey, n);
        return keyed;
    }
}
