using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Tidings.Transport;

namespace Tidings.PostgreSql;

/// <summary>
/// Hears, with LISTEN on a connection of its own, when any instance releases outbox messages to the relays (a send
/// right after a commit failed there), and wakes this instance's relay at once. Started on first use; after a lost
/// connection it reconnects and wakes the relay once, for whatever it may have missed.
/// </summary>
internal sealed partial class OutboxReleaseListener(NpgsqlDataSource dataSource, string schema, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    // A connection that only waits never notices a peer that vanished without closing the socket (a failover, a dropped
    // route): after this long without a notification it asks the server something, which fails within the command
    // timeout if the server is gone, and the listener reconnects.
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(30);
    private readonly WakeSignal _released = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task? _listening;
    private int _disposed;

    /// <summary>The notification channel of the schema's outbox: at most 63 bytes, as PostgreSQL's identifiers.</summary>
    public string Channel { get; } = ChannelFor(schema);

    /// <summary>Set on every release, by any instance.</summary>
    public WakeSignal Released
    {
        get
        {
            lock (_lock)
            {
                _listening ??= Task.Run(ListenAsync);
            }

            return _released;
        }
    }

    internal static string ChannelFor(string schema)
    {
        var channel = "tidings_outbox_" + schema;
        return Encoding.UTF8.GetByteCount(channel) <= 63
            ? channel
            : "tidings_outbox_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schema)))[..32];
    }

    private async Task ListenAsync()
    {
        var failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var connection = await dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                connection.Notification += (_, _) => _released.Set();
                var listen = new NpgsqlCommand($"LISTEN \"{Channel}\"", connection);
                await using (listen.ConfigureAwait(false))
                {
                    await listen.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }

                // Whatever was released while nobody listened is looked at now.
                _released.Set();
                failures = 0;
                while (true)
                {
                    if (!await connection.WaitAsync(Probe, _stop.Token).ConfigureAwait(false))
                    {
                        await ProbeAsync(connection).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The database may be away; relays still poll meanwhile, and listening resumes when it is back.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 10))));
                LogListenFailed(logger, ex, backoff);
                try
                {
                    await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ProbeAsync(NpgsqlConnection connection)
    {
        var probe = new NpgsqlCommand("SELECT 1", connection);
        await using (probe.ConfigureAwait(false))
        {
            await probe.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Stops listening. Safe to call more than once (DI disposes the store once per registration that hands it out).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listening is not null)
        {
            await _listening.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Listening for outbox releases failed; relays poll meanwhile. Trying again in {Backoff}.")]
    private static partial void LogListenFailed(ILogger logger, Exception ex, TimeSpan backoff);
}
