using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tidings.Endpoints.Batches;
using Tidings.Pipeline.Checks;
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
        new SendTracingStep(transport.Name, options.PublishFlow ? options.Flow : null),
        new DispatchStep(),
    ]);

    /// <summary>
    /// Receive, per message: consumer span and metrics → poison checks that no retry can fix (<see cref="Checks"/>) →
    /// retries → unit of work (scope, savepoint, outgoing) → inbox (effectively-once) → sagas (find or start the instance,
    /// its handler, its new state) → handlers.
    /// </summary>
    internal static Pipeline<ReceiveContext> Receive(
        EndpointRuntime endpoint, TidingsOptions options, ITransport transport, Pipeline<SendContext> send, IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Receive." + endpoint.Options.Name);
        var steps = new List<IStep<ReceiveContext>>
        {
            new ReceiveTracingStep(transport.Name, endpoint.Options.Name, options.PublishFlow ? options.Flow : null),
            new PoisonCheckStep(endpoint.Checks, logger),
            new RetryStep(logger),
            new UnitOfWorkStep(services.GetRequiredService<IServiceScopeFactory>(), transport),
        };
        if (endpoint.Options.DeliveryMode == DeliveryMode.EffectivelyOnce)
        {
            steps.Add(new InboxStep(services.GetRequiredService<IInboxStore>(), logger));
        }

        if (endpoint.Options.Sagas.Count > 0)
        {
            var store = services.GetService<ISagaStore>() ?? throw new InvalidOperationException(
                $"Endpoint '{endpoint.Options.Name}' runs sagas, but the store keeps no saga state: use a store that does (UseSqliteStore, UsePostgreSqlStore).");
            steps.Add(new SagaStep(send, new SagaServices(store, services.GetService<IScheduleStore>(), send, services.GetRequiredService<TimeProvider>(), logger, transport.Name, services.GetService<ScheduleWake>(), services.GetService<SagaChanges>()), services.GetService<WorkTracker>()));
        }

        steps.Add(new InvokeHandlersStep(send, services.GetService<WorkTracker>()));
        return new Pipeline<ReceiveContext>(steps);
    }

    /// <summary>
    /// The poison checks, in order: the transport could read the message (unreadable) → it was not abandoned too often
    /// (abandoned-too-often) → its body is within the size limit (too-large) → its name is registered
    /// (unknown-message-name) → the endpoint handles it (no-handler) → its body deserializes (deserialization-failed).
    /// </summary>
    internal static PoisonChecks Checks(TidingsOptions options) => new(
    [
        new ReadableCheck(),
        new DeliveryLimitCheck(),
        new SizeLimitCheck(options),
        new MessageNameCheck(options.Registry),
        new HandlerCheck(),
        new DeserializeCheck(options.Serializer),
    ]);

    /// <summary>
    /// Receive, per batch, one strategy per delivery mode:
    /// <list type="bullet">
    /// <item>at-most-once: ack the batch → each message through <see cref="Receive"/> → failures re-sent as copies
    /// (delayed to the queue, or to the dead-letter queue) (<see cref="AtMostOnceBatch"/>);</item>
    /// <item>at-least-once: each message through <see cref="Receive"/> → what the successful handlers sent, in one send
    /// for the batch (message by message if that fails) → settle the batch at once: ack, retry or dead-letter each
    /// (<see cref="AtLeastOnceBatch"/>);</item>
    /// <item>effectively-once: poison checks for the batch → one transaction (its write lock deferred where the store can):
    /// inbox lookup → saga instances read together → each message through <see cref="Receive"/>, no savepoints → saga
    /// writes, inbox ids and outbox messages → commit →
    /// send the outbox messages → settle; a failure or a conflict starts the batch over with a savepoint per message
    /// (<see cref="EffectivelyOnceBatch"/>).</item>
    /// </list>
    /// </summary>
    internal static BatchStrategy Batch(EndpointRuntime endpoint, IMessageReceiver receiver, IServiceProvider services, ILogger logger) =>
        endpoint.Options.DeliveryMode switch
        {
            DeliveryMode.AtMostOnce => new AtMostOnceBatch(endpoint, receiver, services.GetRequiredService<ITransport>(), services.GetRequiredService<TimeProvider>(), logger),
            DeliveryMode.EffectivelyOnce => new EffectivelyOnceBatch(endpoint, receiver, services.GetRequiredService<ITransactionalStore>(),
                services.GetRequiredService<IInboxStore>(), services.GetService<ISagaStore>(), services.GetRequiredService<OutboxDispatcher>(), logger),
            _ => new AtLeastOnceBatch(endpoint, receiver, services.GetRequiredService<ITransport>(), logger),
        };
}
