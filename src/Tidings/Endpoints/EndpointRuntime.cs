using Tidings.Pipeline;

namespace Tidings;

/// <summary>An endpoint ready to run: its options, its handlers by message type, and its receive pipeline.</summary>
internal sealed class EndpointRuntime
{
    public EndpointRuntime(EndpointOptions options, Func<EndpointRuntime, Pipeline<ReceiveContext>> pipeline)
    {
        Options = options;
        HandlersByType = options.Handlers
            .GroupBy(h => h.MessageType)
            .ToDictionary(g => g.Key, g => g.Select(h => h.Invoker).ToArray());
        Pipeline = pipeline(this);
    }

    public EndpointOptions Options { get; }

    public IReadOnlyDictionary<Type, IHandlerInvoker[]> HandlersByType { get; }

    public Pipeline<ReceiveContext> Pipeline { get; }
}
