using Tidings.Pipeline;
using Tidings.Pipeline.Checks;

namespace Tidings;

/// <summary>An endpoint ready to run: its options, its handlers by message type, its poison checks and its receive pipeline.</summary>
internal sealed class EndpointRuntime
{
    public EndpointRuntime(EndpointOptions options, PoisonChecks checks, TimeProvider time, Func<EndpointRuntime, Pipeline<ReceiveContext>> pipeline)
    {
        Options = options;
        Checks = checks;
        Time = time;
        HandlersByType = options.Handlers
            .GroupBy(h => h.MessageType)
            .ToDictionary(g => g.Key, g => g.Select(h => h.Invoker).ToArray());
        SagasByType = options.Sagas
            .SelectMany(saga => saga.Definition.Bindings.Select(binding => (Saga: saga, Binding: binding)))
            .GroupBy(pair => pair.Binding.MessageType)
            .ToDictionary(g => g.Key, g => g.ToArray());
        Pipeline = pipeline(this);
    }

    public EndpointOptions Options { get; }

    public IReadOnlyDictionary<Type, IHandlerInvoker[]> HandlersByType { get; }

    /// <summary>The sagas that take each message type, with how each takes it.</summary>
    public IReadOnlyDictionary<Type, (SagaRegistration Saga, SagaBinding Binding)[]> SagasByType { get; }

    /// <summary>True if a handler or a saga of the endpoint takes <paramref name="messageType"/>.</summary>
    public bool Takes(Type messageType) => HandlersByType.ContainsKey(messageType) || SagasByType.ContainsKey(messageType);

    /// <summary>The checks no retry can fix, run once per delivery (by the pipeline, or ahead of it by a batch).</summary>
    public PoisonChecks Checks { get; }

    public Pipeline<ReceiveContext> Pipeline { get; }

    /// <summary>The clock of everything the endpoint stamps (a dead letter's time, say).</summary>
    public TimeProvider Time { get; }
}
