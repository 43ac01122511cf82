using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Stores;

namespace Tidings;

/// <summary>One message a saga takes: how it finds its instance, and what it does to it.</summary>
internal abstract class SagaBinding
{
    public abstract Type MessageType { get; }

    public abstract bool Starts { get; }

    public abstract SagaMissing WhenMissing { get; }

    /// <summary>Finds (or starts) the instance, runs the handler, and stores the outcome in the batch's transaction.</summary>
    public abstract Task RunAsync(SagaRegistration saga, ReceiveContext context, IMessageContext handlerContext, SagaServices services);
}

/// <summary>What running a saga needs from the host.</summary>
internal sealed record SagaServices(ISagaStore Store, TimeProvider Time, ILogger Logger);

internal sealed partial class SagaBinding<TState, TMessage>(
    Func<TMessage, string> correlate, Func<TMessage, SagaContext<TState>, Task> handle, bool starts, SagaMissing whenMissing,
    Func<TMessage, IMessageContext, Task>? onMissing) : SagaBinding
    where TState : class, new()
    where TMessage : notnull
{
    public override Type MessageType => typeof(TMessage);

    public override bool Starts => starts;

    public override SagaMissing WhenMissing => whenMissing;

    public override async Task RunAsync(SagaRegistration saga, ReceiveContext context, IMessageContext handlerContext, SagaServices services)
    {
        var message = (TMessage)context.Message!;
        var correlationId = correlate(message);
        if (string.IsNullOrEmpty(correlationId))
        {
            throw new DeadLetterException("saga-correlation-missing",
                $"Saga {saga.Name}: message '{context.Envelope.MessageName}' {context.Envelope.MessageId} has no correlation id.");
        }

        var transaction = context.BatchTransaction!;
        var cancellationToken = context.CancellationToken;
        var stored = await services.Store.FindAsync(transaction, saga.Name, correlationId, cancellationToken).ConfigureAwait(false);
        var document = stored is null ? null : SagaDocument<TState>.Read(stored.Data);

        // A completed instance kept for inspection is over: a starter begins a new one in its place.
        var live = document is { Status: SagaStatus.Active };
        var now = services.Time.GetUtcNow();
        if (!live)
        {
            if (!starts)
            {
                await MissingAsync(saga, context, handlerContext, message, correlationId, services.Logger).ConfigureAwait(false);
                return;
            }

            document = SagaDocument<TState>.Start(Guid.CreateVersion7(now), now);
            document.Record(new SagaHistoryEntry(now, "started", context.Envelope.MessageName, context.Envelope.MessageId));
        }
        else
        {
            document!.Record(new SagaHistoryEntry(now, "handled", context.Envelope.MessageName, context.Envelope.MessageId));
        }

        var sagaContext = new SagaContext<TState>(handlerContext, document, saga.Name, correlationId, isNew: !live);
        await handle(message, sagaContext).ConfigureAwait(false);
        document.UpdatedAt = now;

        if (sagaContext.IsCompleted)
        {
            document.Status = SagaStatus.Completed;
            document.Record(new SagaHistoryEntry(now, "completed", context.Envelope.MessageName, context.Envelope.MessageId));
            if (!saga.Options.KeepCompleted)
            {
                // Started and completed by one message: nothing was ever stored.
                if (stored is not null)
                {
                    await services.Store.DeleteAsync(transaction, stored, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
        }

        var data = document.Write();
        if (stored is null)
        {
            await services.Store.InsertAsync(transaction, saga.Name, correlationId, data, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await services.Store.UpdateAsync(transaction, stored, data, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task MissingAsync(SagaRegistration saga, ReceiveContext context, IMessageContext handlerContext, TMessage message, string correlationId, ILogger logger)
    {
        switch (whenMissing)
        {
            case SagaMissing.IgnoreAndLog:
                LogIgnored(logger, saga.Name, correlationId, context.Envelope.MessageName, context.Envelope.MessageId);
                return Task.CompletedTask;
            case SagaMissing.Custom:
                return onMissing!(message, handlerContext);
            default:
                throw new DeadLetterException("saga-not-found",
                    $"Saga {saga.Name} has no instance '{correlationId}' for message '{context.Envelope.MessageName}' {context.Envelope.MessageId}, " +
                    "and the message does not start one.");
        }
    }

    [LoggerMessage(LogLevel.Information, "Saga {Saga} has no instance '{CorrelationId}'; message '{MessageName}' {MessageId} ignored, as the saga asks.")]
    private static partial void LogIgnored(ILogger logger, string saga, string correlationId, string messageName, Guid messageId);
}
