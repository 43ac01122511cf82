using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings.Endpoints.Batches;

/// <summary>At-least-once: each message through the pipeline, then the whole batch settled at once (ack, retry, dead-letter).</summary>
internal sealed class AtLeastOnceBatch(EndpointRuntime endpoint, IMessageReceiver receiver, ILogger logger) : BatchStrategy(endpoint, receiver, logger)
{
    protected override Task RunBatchAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort) =>
        RunEachAsync(batch, settlements, abort);
}
