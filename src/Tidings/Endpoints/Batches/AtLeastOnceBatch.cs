using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings.Endpoints.Batches;

/// <summary>At-least-once: each message through the pipeline, then the whole batch settled at once (ack, retry, dead-letter).</summary>
internal sealed class AtLeastOnceBatch(EndpointRuntime endpoint, IMessageReceiver receiver, ILogger logger) : BatchStrategy(endpoint, receiver, logger)
{
    public override async Task<bool> HandleAsync(ReceiveContext[] batch, CancellationToken abort)
    {
        var settlements = new Settlement[batch.Length];
        var completed = true;
        try
        {
            await RunEachAsync(batch, settlements, abort).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nothing is acked; everything comes back after a pause.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReturnAll(batch, settlements, ex, abort);
            completed = false;
        }

        await SettleAsync(settlements).ConfigureAwait(false);
        return completed;
    }
}
