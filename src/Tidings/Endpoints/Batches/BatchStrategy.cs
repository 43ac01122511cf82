using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Transport;

namespace Tidings.Endpoints.Batches;

/// <summary>
/// How a worker handles and settles one batch in its endpoint's delivery mode: one strategy per mode, chosen once in
/// <see cref="Pipelines.Batch"/>. Each message of the batch goes through the endpoint's receive pipeline.
/// </summary>
internal abstract partial class BatchStrategy(EndpointRuntime endpoint, IMessageReceiver receiver, ILogger logger)
{
    /// <summary>How long a worker pauses after a batch failed as a whole, and how long its messages wait to come back.</summary>
    public static readonly TimeSpan ErrorBackoff = TimeSpan.FromSeconds(1);

    private readonly Settlement[] _single = new Settlement[1];

    protected EndpointRuntime Endpoint { get; } = endpoint;

    protected ILogger Logger { get; } = logger;

    protected string EndpointName => Endpoint.Options.Name;

    /// <summary>
    /// Handles and settles the batch: <see cref="BeginAsync"/>, then <see cref="RunBatchAsync"/> (a failure of the batch
    /// as a whole gives every message back, after a pause), then <see cref="FinishAsync"/>. False if the batch failed as
    /// a whole: the worker pauses rather than spin through the queue.
    /// </summary>
    public async Task<bool> HandleAsync(ReceiveContext[] batch, CancellationToken abort)
    {
        if (!await BeginAsync(batch).ConfigureAwait(false))
        {
            return false;
        }

        // A worker handles one batch at a time, and at a steady rate most batches are one message: its array is reused.
        var settlements = batch.Length == 1 ? _single : new Settlement[batch.Length];
        var completed = true;
        try
        {
            await RunBatchAsync(batch, settlements, abort).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The database or the transport may be down: nothing is lost, everything comes back after a pause.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReturnAll(batch, settlements, ex, abort);
            completed = false;
        }

        await FinishAsync(settlements).ConfigureAwait(false);
        _single[0] = default;
        return completed;
    }

    /// <summary>Before the handlers: false to give up on the batch (it comes back by itself). Nothing by default.</summary>
    protected virtual Task<bool> BeginAsync(ReceiveContext[] batch) => Task.FromResult(true);

    /// <summary>Runs the batch's messages through the pipeline, into <paramref name="settlements"/>.</summary>
    protected abstract Task RunBatchAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort);

    /// <summary>After the handlers: settles the batch at once by default.</summary>
    protected virtual Task FinishAsync(Settlement[] settlements) => SettleAsync(settlements);

    /// <summary>Runs each message through the pipeline in turn, into <paramref name="settlements"/>.</summary>
    protected async Task RunEachAsync(ReceiveContext[] batch, Settlement[] settlements, CancellationToken abort)
    {
        for (var i = 0; i < batch.Length; i++)
        {
            settlements[i] = await RunAsync(batch[i], abort).ConfigureAwait(false);
        }
    }

    /// <summary>One message through the pipeline; once shutdown ran out of patience, messages not yet begun go back untouched.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected async ValueTask<Settlement> RunAsync(ReceiveContext context, CancellationToken abort)
    {
        if (abort.IsCancellationRequested)
        {
            return Settlement.Retry(context.Received, TimeSpan.Zero);
        }

        await Endpoint.Pipeline.InvokeAsync(context).ConfigureAwait(false);
        return context.Settlement;
    }

    /// <summary>The batch could not complete (the database is down, say): every message goes back, after a pause.</summary>
    private void ReturnAll(ReceiveContext[] batch, Settlement[] settlements, Exception ex, CancellationToken abort)
    {
        LogBatchFailed(Logger, ex, EndpointName, batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            settlements[i] = Settlement.Retry(batch[i].Received, abort.IsCancellationRequested ? TimeSpan.Zero : ErrorBackoff);
            batch[i].Settlement = settlements[i];
            batch[i].Failure = ex;
        }
    }

    protected async Task<bool> SettleAsync(IReadOnlyList<Settlement> settlements)
    {
        try
        {
            await receiver.SettleAsync(settlements, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // Unsettled messages come back when their lease runs out: at-least-once holds.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSettleFailed(Logger, ex, EndpointName, settlements.Count);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not complete a batch of {Count}; the messages go back to the queue.")]
    protected static partial void LogBatchFailed(ILogger logger, Exception ex, string endpoint, int count);

    [LoggerMessage(LogLevel.Error, "Endpoint {Endpoint} could not settle {Count} messages; they come back when their lease expires.")]
    protected static partial void LogSettleFailed(ILogger logger, Exception ex, string endpoint, int count);
}
