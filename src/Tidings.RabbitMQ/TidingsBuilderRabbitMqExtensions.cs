using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tidings.RabbitMQ;

/// <summary>Adds the RabbitMQ transport to <see cref="TidingsBuilder"/>.</summary>
public static class TidingsBuilderRabbitMqExtensions
{
    /// <summary>Uses RabbitMQ at <paramref name="connectionString"/>, e.g. <c>amqp://user:password@host:5672/vhost</c>.</summary>
    public static TidingsBuilder UseRabbitMq(this TidingsBuilder builder, string connectionString) =>
        builder.UseRabbitMq(new RabbitMqTransportOptions { ConnectionString = new Uri(connectionString) });

    /// <summary>Uses RabbitMQ with <paramref name="options"/>.</summary>
    public static TidingsBuilder UseRabbitMq(this TidingsBuilder builder, RabbitMqTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseTransport(sp => new RabbitMqTransport(options, sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
    }
}
