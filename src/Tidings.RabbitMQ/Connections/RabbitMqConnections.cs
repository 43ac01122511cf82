using System.Net.Security;
using RabbitMQ.Client;

namespace Tidings.RabbitMQ.Connections;

/// <summary>
/// The transport's two connections, opened on first use: one publishes, one consumes, so that the broker's flow
/// control, which blocks publishing connections, never stalls consumers and their acks. Both recover by themselves
/// after a dropped connection or a broker restart, re-declaring their topology and re-attaching consumers.
/// </summary>
internal sealed class RabbitMqConnections(RabbitMqTransportOptions options) : IAsyncDisposable
{
    private readonly ConnectionFactory _factory = CreateFactory(options);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _publishing;
    private IConnection? _consuming;
    private bool _disposed;

    /// <summary>The broker's address without credentials, for messages and logs.</summary>
    public string Address { get; } = $"{options.ConnectionString.Scheme}://{options.ConnectionString.Host}:{options.ConnectionString.Port}{options.ConnectionString.AbsolutePath}";

    public ValueTask<IConnection> PublishingAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _publishing) is { } connection ? ValueTask.FromResult(connection) : OpenAsync(publishing: true, cancellationToken);

    public ValueTask<IConnection> ConsumingAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _consuming) is { } connection ? ValueTask.FromResult(connection) : OpenAsync(publishing: false, cancellationToken);

    private async ValueTask<IConnection> OpenAsync(bool publishing, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if ((publishing ? _publishing : _consuming) is { } open)
            {
                return open;
            }

            var name = (options.ClientName ?? AppDomain.CurrentDomain.FriendlyName) + (publishing ? " (publish)" : " (consume)");
            // A broker that is down at the first connect throws BrokerUnreachableException; senders retry it like a drop.
            var connection = await _factory.CreateConnectionAsync(name, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref publishing ? ref _publishing : ref _consuming, connection);
            return connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            foreach (var connection in new[] { _publishing, _consuming })
            {
                if (connection is not null)
                {
                    await connection.CloseAsync().ConfigureAwait(false);
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static ConnectionFactory CreateFactory(RabbitMqTransportOptions options)
    {
        var factory = new ConnectionFactory
        {
            Uri = options.ConnectionString,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = options.RecoveryInterval,
            RequestedHeartbeat = options.Heartbeat,
        };
        // The client accepts a certificate for another host name on amqps; Tidings does not, unless told to.
        factory.Ssl.AcceptablePolicyErrors = SslPolicyErrors.None;
        if (options.UserName is not null)
        {
            factory.UserName = options.UserName;
        }

        if (options.Password is not null)
        {
            factory.Password = options.Password;
        }

        if (options.ClientCertificatePath is not null)
        {
            factory.Ssl.Enabled = true;
            factory.Ssl.ServerName = string.IsNullOrEmpty(factory.Ssl.ServerName) ? options.ConnectionString.Host : factory.Ssl.ServerName;
            factory.Ssl.CertPath = options.ClientCertificatePath;
            factory.Ssl.CertPassphrase = options.ClientCertificatePassphrase;
        }

        options.ConfigureConnectionFactory?.Invoke(factory);
        return factory;
    }
}
