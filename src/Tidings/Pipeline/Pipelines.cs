using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.Pipeline.Steps;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Pipeline;

/// <summary>
/// The send and receive pipelines, assembled here and nowhere else: read this file to know the order of events.
/// </summary>
public static class Pipelines
{
    /// <summary>
    /// Send: caller's options → name, serialize, envelope → size limit → producer span and trace context → dispatch
    /// (to the transport, or into a unit of work / outbox session).
    /// </summary>
    internal static Pipeline<SendContext> Send(TidingsOptions options, ITransport transport, TimeProvider time) => new(
    [
        new ApplySendOptionsStep(),
        new SerializeStep(options, time),
        new SendSizeLimitStep(options),
        new SendTracingStep(transport.Name),
        new DispatchStep(),
    ]);

    /// <summary>
    /// Receive: consumer span and metrics → poison checks that no retry can fix (deliveries, size, name, body) →
    /// retries → unit of work (scope, savepoint, outgoing) → inbox (effectively-once) → handlers.
    /// </summary>
    internal static Pipeline<ReceiveContext> Receive(
        EndpointOptions endpoint, TidingsOptions options, ITransport transport, Pipeline<SendContext> send, IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Receive." + endpoint.Name);
        var effectivelyOnce = endpoint.DeliveryMode == DeliveryMode.EffectivelyOnce;
        var steps = new List<IStep<ReceiveContext>>
        {
            new ReceiveTracingStep(transport.Name),
            new DeliveryLimitStep(logger),
            new ReceiveSizeLimitStep(options, logger),
            new DeserializeStep(new MessageDeserializer(options), logger),
            new RetryStep(logger),
            new UnitOfWorkStep(services.GetRequiredService<IServiceScopeFactory>(), transport),
        };
        if (effectivelyOnce)
        {
            steps.Add(new InboxStep(services.GetRequiredService<IInboxStore>(), logger));
        }

        steps.Add(new InvokeHandlersStep(send));
        return new Pipeline<ReceiveContext>(steps);
    }
}
