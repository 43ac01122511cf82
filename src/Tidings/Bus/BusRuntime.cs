using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings;

/// <summary>The process-wide pieces every sender shares: options, transport, send pipeline.</summary>
internal sealed class BusRuntime(TidingsOptions options, ITransport transport, TimeProvider time)
{
    public TidingsOptions Options { get; } = options;

    public ITransport Transport { get; } = transport;

    public Pipeline<SendContext> SendPipeline { get; } = Pipelines.Send(options, transport, time);
}
