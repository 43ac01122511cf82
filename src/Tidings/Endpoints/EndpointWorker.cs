using Microsoft.Extensions.Logging;
using Tidings.Endpoints.Batches;
using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings;

/// <summary>
/// One worker of an endpoint: takes a batch from its receiver and hands it to the strategy of the endpoint's delivery
/// mode (<see cref="Pipelines.Batch"/>), which runs each message through the receive pipeline and settles the batch.
/// </summary>
internal sealed partial class EndpointWorker(EndpointRuntime endpoint, IMessageReceiver receiver, BatchStrategy strategy, ILogger logger, WorkTracker? tracker = null)
{
    private readonly EndpointOptions _options = endpoint.Options;
    private readonly ReceiveContext[] _single = new ReceiveContext[1];

    /// <summary>Runs until <paramref name="stopReceiving"/>; <paramref name="abortHandling"/> cancels handlers still running at the deadline.</summary>
    public async Task RunAsync(CancellationToken stopReceiving, CancellationToken abortHandling)
    {
        while (!stopReceiving.IsCancellationRequested)
        {
            IReadOnlyList<ReceivedMessage> received;
            try
            {
                received = await receiver.ReceiveAsync(_options.Prefetch, stopReceiving).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopReceiving.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The transport may fail in any way; the worker backs off and tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReceiveFailed(logger, ex, _options.Name);
                await DelayQuietly(BatchStrategy.ErrorBackoff, stopReceiving).ConfigureAwait(false);
                continue;
            }

            // One batch at a time, and at a steady rate most are one message: that array is reused.
            var batch = received.Count == 1 ? _single : new ReceiveContext[received.Count];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = new ReceiveContext(received[i], endpoint, abortHandling);
            }

            tracker?.Enter();
            bool completed;
            try
            {
                completed = await strategy.HandleAsync(batch, abortHandling).ConfigureAwait(false);
                Report(batch);
            }
            finally
            {
                tracker?.Exit();
            }

            _single[0] = null!;
            if (!completed)
            {
                // The batch could not complete (the database is down, say): pause rather than spin through the queue.
                await DelayQuietly(BatchStrategy.ErrorBackoff, stopReceiving).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Tells the tracker (the test harness) what the pass that settled each message ran, and how it settled.</summary>
    private void Report(ReceiveContext[] batch)
    {
        if (tracker is null)
        {
            return;
        }

        foreach (var context in batch)
        {
            foreach (var run in context.Runs ?? [])
            {
                tracker.HandlerRan?.Invoke(run);
            }

            tracker.Settled?.Invoke(new MessageOutcome(_options.Name, context.Envelope, context.Settlement.Kind, context.Failure));
        }
    }

    private static async Task DelayQuietly(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition ends the worker.
        }
    }

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not receive; retrying shortly.")]
    private static partial void LogReceiveFailed(ILogger logger, Exception ex, string endpoint);
}
