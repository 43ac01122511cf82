using System.Runtime.CompilerServices;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Tidings.Transport;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// Runs the rest of the pipeline; on failure retries at once a few times, then sends the message back to the
/// queue with an exponential, jittered delay (so it blocks nothing meanwhile), then dead-letters it with the error.
/// </summary>
internal sealed partial class RetryStep(ILogger logger) : IStep<ReceiveContext>
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var policy = context.Endpoint.Options.Retries;
        if (context.CarriedFailure is { } carried && !TakeCarriedFailure(context, carried, policy))
        {
            return;
        }

        while (true)
        {
            context.Attempts++;
            try
            {
                await nextStep.InvokeAsync(context).ConfigureAwait(false);
                return;
            }
            catch (BatchRestartException)
            {
                throw;
            }
            catch (DeadLetterException ex)
            {
                // No retry can help: the unit of work was undone (nothing staged leaves, no inbox entry stays).
                context.DeadLetter(ex.Reason, ex);
                LogDeadLetteredAtOnce(logger, ex, context.Envelope.MessageId, context.EndpointName, ex.Reason);
                return;
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                // Shutdown ran out of patience: hand the message back untouched; this was no failure of the message.
                context.Settlement = Settlement.Retry(context.Received, TimeSpan.Zero);
                return;
            }
#pragma warning disable CA1031 // A handler may throw anything; every failure is retried or dead-lettered, never lost.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // A message whose saga instance does not exist yet waits for its starter: retrying at once cannot help (on
                // SQLite the batch even holds the write lock the starter needs), so it goes straight to a delayed redelivery.
                if (context.Attempts <= policy.ImmediateRetries && ex is not SagaNotFoundException)
                {
                    LogImmediateRetry(logger, ex, context.Envelope.MessageId, context.EndpointName, context.Attempts);
                    continue;
                }

                RedeliverOrDeadLetter(context, ex, logger);
                return;
            }
        }
    }

    /// <summary>
    /// Counts the optimistic pass's failure as the first attempt: dead-letters or redelivers at once if no immediate retry
    /// is left for it, else returns true to retry.
    /// </summary>
    private bool TakeCarriedFailure(ReceiveContext context, Exception carried, RetryPolicy policy)
    {
        context.CarriedFailure = null;
        context.Attempts = 1;
        if (carried is DeadLetterException dead)
        {
            context.DeadLetter(dead.Reason, dead);
            LogDeadLetteredAtOnce(logger, dead, context.Envelope.MessageId, context.EndpointName, dead.Reason);
            return false;
        }

        if (context.Attempts <= policy.ImmediateRetries && carried is not SagaNotFoundException)
        {
            LogImmediateRetry(logger, carried, context.Envelope.MessageId, context.EndpointName, context.Attempts);
            return true;
        }

        RedeliverOrDeadLetter(context, carried, logger);
        return false;
    }

    /// <summary>
    /// A failure that no immediate retry is left for (or none can help): the message goes back to the queue with the
    /// policy's delay, or to the dead-letter queue once its redeliveries are used up.
    /// </summary>
    internal static void RedeliverOrDeadLetter(ReceiveContext context, Exception ex, ILogger logger)
    {
        var policy = context.Endpoint.Options.Retries;
        var redeliveries = context.RedeliveryCount();
        if (redeliveries < policy.DelayedRedeliveries)
        {
            var delay = policy.DelayFor(redeliveries);
            context.Envelope.Headers[TidingsHeaders.Redeliveries] = (redeliveries + 1).ToString(CultureInfo.InvariantCulture);
            context.Envelope.Headers[TidingsHeaders.ExceptionType] = ex.GetType().FullName ?? ex.GetType().Name;
            context.Envelope.Headers[TidingsHeaders.ExceptionMessage] = ex.Message;
            context.Settlement = Settlement.Retry(context.Received, delay);
            context.Failure = ex;
            LogRedelivery(logger, ex, context.Envelope.MessageId, context.EndpointName, redeliveries + 1, delay);
            return;
        }

        context.DeadLetter(ex is IDeadLetterReason named ? named.DeadLetterReason : "handler-failed", ex);
        LogDeadLetter(logger, ex, context.Envelope.MessageId, context.EndpointName, context.TotalAttempts());
    }

    [LoggerMessage(LogLevel.Debug, "Message {MessageId} on {Endpoint} failed (attempt {Attempt}); retrying at once.")]
    private static partial void LogImmediateRetry(ILogger logger, Exception ex, Guid messageId, string endpoint, int attempt);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Endpoint} failed; redelivery {Redelivery} in {Delay}.")]
    private static partial void LogRedelivery(ILogger logger, Exception ex, Guid messageId, string endpoint, int redelivery, TimeSpan delay);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Endpoint} moved to the dead-letter queue without retries ({Reason}).")]
    private static partial void LogDeadLetteredAtOnce(ILogger logger, Exception ex, Guid messageId, string endpoint, string reason);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Endpoint} failed {Attempts} times; moved to the dead-letter queue.")]
    private static partial void LogDeadLetter(ILogger logger, Exception ex, Guid messageId, string endpoint, int attempts);
}
