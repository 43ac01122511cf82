using System.Net.Security;
using Tidings.RabbitMQ.Connections;

namespace Tidings.RabbitMQ.Tests.Connections;

/// <summary>How options become the client's connection settings: TLS, credentials, recovery, heartbeats.</summary>
public sealed class ConnectionFactoryTests
{
    [Fact]
    public void An_amqps_uri_turns_on_tls_and_checks_the_server_name()
    {
        var factory = RabbitMqConnections.CreateFactory(new RabbitMqTransportOptions { ConnectionString = new Uri("amqps://rabbit.internal/coffee") });

        Assert.True(factory.Ssl.Enabled);
        Assert.Equal("rabbit.internal", factory.Ssl.ServerName);
        Assert.Equal(SslPolicyErrors.None, factory.Ssl.AcceptablePolicyErrors);
        Assert.Equal(5671, factory.Port);
        Assert.Equal("coffee", factory.VirtualHost);
    }

    [Fact]
    public void Credentials_from_options_override_the_uri()
    {
        var factory = RabbitMqConnections.CreateFactory(new RabbitMqTransportOptions
        {
            ConnectionString = new Uri("amqp://guest:guest@localhost/"),
            UserName = "barista",
            Password = "secret",
        });

        Assert.Equal("barista", factory.UserName);
        Assert.Equal("secret", factory.Password);
        Assert.False(factory.Ssl.Enabled);
    }

    [Fact]
    public void A_client_certificate_implies_tls()
    {
        var factory = RabbitMqConnections.CreateFactory(new RabbitMqTransportOptions
        {
            ConnectionString = new Uri("amqp://rabbit.internal:5671/"),
            ClientCertificatePath = "/etc/tidings/client.p12",
            ClientCertificatePassphrase = "pass",
        });

        Assert.True(factory.Ssl.Enabled);
        Assert.Equal("/etc/tidings/client.p12", factory.Ssl.CertPath);
        Assert.Equal("rabbit.internal", factory.Ssl.ServerName);
    }

    [Fact]
    public void Recovery_and_heartbeats_are_on()
    {
        var factory = RabbitMqConnections.CreateFactory(new RabbitMqTransportOptions());

        Assert.True(factory.AutomaticRecoveryEnabled);
        Assert.True(factory.TopologyRecoveryEnabled);
        Assert.Equal(TimeSpan.FromSeconds(10), factory.RequestedHeartbeat);
        Assert.Equal(TimeSpan.FromSeconds(1), factory.NetworkRecoveryInterval);
    }
}
