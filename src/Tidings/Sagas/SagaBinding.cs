using System.Globalization;
using Microsoft.Extensions.Logging;
using Tidings.Diagnostics;
using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

/// <summary>One message a saga takes: how it finds its instance, and what it does to it.</summary>
internal abstract class SagaBinding
{
    public abstract Type MessageType { get; }

    public abstract bool Starts { get; }

    /// <summary>A timeout the saga asks for: it names its instance in its headers.</summary>
    public abstract bool IsTimeout { get; }

    /// <summary>
    /// False if the message is none of this saga's business (another saga's timeout); else the instance it is for, which
    /// may be null or empty for a message that names none.
    /// </summary>
    public abstract bool TryCorrelate(SagaRegistration saga, ReceiveContext context, out string? correlationId);

    /// <summary>Finds (or starts) the instance, runs the handler, and stores the outcome in the batch's transaction.</summary>
    public abstract Task RunAsync(SagaRegistration saga, ReceiveContext context, IMessageContext handlerContext, SagaServices services);
}

/// <summary>What running a saga needs from the host; the transport's name is for the sent counter of compensations that run.</summary>
internal sealed record SagaServices(
    ISagaStore Store, IScheduleStore? Schedules, Pipeline<SendContext> Send, TimeProvider Time, ILogger Logger, string Transport, ScheduleWake? Wake = null,
    SagaChanges? Changes = null);

internal sealed partial class SagaBinding<TState, TMessage>(
    Func<TMessage, string>? correlate, Func<TMessage, SagaContext<TState>, Task> handle, bool starts, SagaMissing whenMissing,
    Func<TMessage, IMessageContext, Task>? onMissing) : SagaBinding
    where TState : class, new()
    where TMessage : notnull
{
    public override Type MessageType => typeof(TMessage);

    public override bool Starts => starts;

    public override bool IsTimeout => correlate is null;

    public override bool TryCorrelate(SagaRegistration saga, ReceiveContext context, out string? correlationId)
    {
        var envelope = context.Envelope;
        correlationId = null;
        if (IsTimeout)
        {
            // A timeout of another saga on this endpoint (of the same message type) is none of this one's business.
            if (!envelope.Headers.TryGetValue(TidingsHeaders.SagaName, out var sagaName) || sagaName != saga.Name)
            {
                return false;
            }

            correlationId = envelope.Headers.GetValueOrDefault(TidingsHeaders.SagaCorrelationId);
            return true;
        }

        // Another saga's timeout of a type this one also takes is that saga's alone.
        if (envelope.HasHeaders && envelope.Headers.TryGetValue(TidingsHeaders.SagaName, out var owner) && owner != saga.Name)
        {
            return false;
        }

        correlationId = correlate!((TMessage)context.Message!);
        return true;
    }

    public override async Task RunAsync(SagaRegistration saga, ReceiveContext context, IMessageContext handlerContext, SagaServices services)
    {
        var message = (TMessage)context.Message!;
        var envelope = context.Envelope;
        if (!TryCorrelate(saga, context, out var correlationId))
        {
            return;
        }

        if (string.IsNullOrEmpty(correlationId))
        {
            throw new DeadLetterException("saga-correlation-missing",
                $"Saga {saga.Name}: message '{envelope.MessageName}' {envelope.MessageId} has no correlation id.");
        }

        var transaction = context.BatchTransaction!;
        var cancellationToken = context.CancellationToken;
        // An optimistic batch read its instances together and writes them together at its commit.
        var session = transaction.Sagas;
        var stored = session is not null
            ? await session.FindAsync(transaction, saga.Name, correlationId, cancellationToken).ConfigureAwait(false)
            : await services.Store.FindAsync(transaction, saga.Name, correlationId, cancellationToken).ConfigureAwait(false);
        var document = stored is null ? null : SagaDocument<TState>.Read(stored.Data);

        // A completed instance kept for inspection is over, and final: no message changes it or starts another in its
        // place (a removed one leaves no trace, and a late starter does begin a new instance).
        var live = document is { Status: not SagaStatus.Completed };
        if (document is { Status: SagaStatus.Completed } && !IsTimeout)
        {
            if (starts && saga.Options.LateMessages != SagaLateMessages.Record)
            {
                LogCompletedKept(services.Logger, saga.Name, correlationId, envelope.MessageName, envelope.MessageId);
                return;
            }

            // A message's own policy for a missing instance (ignore, or a handler of its own) is kept for a late one.
            if (saga.Options.LateMessages != SagaLateMessages.Record && whenMissing != SagaMissing.DeadLetter)
            {
                await MissingAsync(saga, context, handlerContext, message, correlationId, services.Logger).ConfigureAwait(false);
                return;
            }

            await LateAsync(saga, context, stored!, document, correlationId, services).ConfigureAwait(false);
            return;
        }

        var now = services.Time.GetUtcNow();
        if (IsTimeout)
        {
            if (!live || !IsCurrentTimeout(document!, envelope, out var name))
            {
                LogStaleTimeout(services.Logger, saga.Name, correlationId, envelope.MessageName, envelope.MessageId);
                return;
            }

            document!.Timeouts.Remove(name);
            document.Record(new SagaHistoryEntry(now, "timeout", envelope.MessageName, envelope.MessageId, name));
        }
        else if (!live)
        {
            if (!starts)
            {
                await MissingAsync(saga, context, handlerContext, message, correlationId, services.Logger).ConfigureAwait(false);
                return;
            }

            document = SagaDocument<TState>.Start(Guid.CreateVersion7(now), now);
            document.Record(new SagaHistoryEntry(now, "started", envelope.MessageName, envelope.MessageId));
        }
        else
        {
            document!.Record(new SagaHistoryEntry(now, "handled", envelope.MessageName, envelope.MessageId));
        }

        var sagaContext = new SagaContext<TState>(handlerContext, document, saga, correlationId, isNew: !live && !IsTimeout);
        await handle(message, sagaContext).ConfigureAwait(false);
        document.UpdatedAt = now;
        await ApplyTimeoutsAsync(saga, context, document, sagaContext, services, now).ConfigureAwait(false);
        await ApplyCompensationsAsync(context, handlerContext, document, sagaContext, services, now).ConfigureAwait(false);

        if (sagaContext.IsCompleted)
        {
            document.Status = SagaStatus.Completed;
            document.Record(new SagaHistoryEntry(now, "completed", envelope.MessageName, envelope.MessageId));
            if (!saga.Options.KeepCompleted)
            {
                // Started and completed by one message: nothing was ever stored.
                if (stored is not null)
                {
                    if (session is not null)
                    {
                        session.Delete(stored);
                    }
                    else
                    {
                        await services.Store.DeleteAsync(transaction, stored, cancellationToken).ConfigureAwait(false);
                    }

                    TellOnCommit(transaction, services, saga.Name, correlationId);
                }

                return;
            }
        }

        var data = document.Write();
        if (session is not null)
        {
            if (stored is null)
            {
                session.Insert(saga.Name, correlationId, data);
            }
            else
            {
                session.Update(stored, data);
            }
        }
        else if (stored is null)
        {
            await services.Store.InsertAsync(transaction, saga.Name, correlationId, data, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await services.Store.UpdateAsync(transaction, stored, data, cancellationToken).ConfigureAwait(false);
        }

        TellOnCommit(transaction, services, saga.Name, correlationId);
    }

    /// <summary>Tells this process's listeners (a live status stream) of the change once it commits, if anyone listens.</summary>
    private static void TellOnCommit(StoreTransaction transaction, SagaServices services, string sagaName, string correlationId)
    {
        if (services.Changes is { HasListeners: true } changes)
        {
            transaction.OnCommitted(() => changes.Publish(sagaName, correlationId));
        }
    }

    /// <summary>The timeout is the one the instance is waiting for under its name: not one it asked for again, or cancelled.</summary>
    private static bool IsCurrentTimeout(SagaDocument<TState> document, Envelope envelope, out string name)
    {
        name = envelope.Headers.GetValueOrDefault(TidingsHeaders.SagaTimeout) ?? "";
        return envelope.Headers.GetValueOrDefault(TidingsHeaders.SagaInstanceId) == document.InstanceId.ToString()
            && document.Timeouts.TryGetValue(name, out var pending)
            && envelope.Headers.GetValueOrDefault(TidingsHeaders.ScheduleId) == pending.ToString();
    }

    /// <summary>
    /// The timeouts the handler asked for or cancelled, in the same transaction as the state: a replaced or cancelled one
    /// is removed from the schedule (should it have fired meanwhile, it no longer matches and is dropped). A completed
    /// instance cancels every timeout it still has.
    /// </summary>
    private static async Task ApplyTimeoutsAsync(
        SagaRegistration saga, ReceiveContext context, SagaDocument<TState> document, SagaContext<TState> sagaContext, SagaServices services, DateTimeOffset now)
    {
        var cancelled = sagaContext.IsCompleted ? document.Timeouts.Keys.ToList() : sagaContext.CancelledTimeouts;
        var requested = sagaContext.IsCompleted ? [] : sagaContext.RequestedTimeouts;
        if (cancelled.Count == 0 && requested.Count == 0)
        {
            return;
        }

        var schedules = services.Schedules ?? throw new InvalidOperationException(
            $"Saga {saga.Name} asked for a timeout, but the store keeps no scheduled messages: use a store that does (UseSqliteStore, UsePostgreSqlStore).");
        var transaction = context.BatchTransaction!;
        var envelope = context.Envelope;
        foreach (var name in cancelled.Concat(requested.Select(r => r.Name)))
        {
            if (document.Timeouts.Remove(name, out var pending))
            {
                await schedules.CancelAsync(transaction, pending, context.CancellationToken).ConfigureAwait(false);
                if (cancelled.Contains(name))
                {
                    document.Record(new SagaHistoryEntry(now, "timeout-cancelled", envelope.MessageName, envelope.MessageId, name));
                }
            }
        }

        foreach (var timeout in requested)
        {
            var scheduleId = Guid.CreateVersion7(now);
            var outgoing = await BuildTimeoutAsync(saga, context, document, sagaContext.CorrelationId, timeout, scheduleId, services.Send).ConfigureAwait(false);
            await schedules.ScheduleAsync(transaction, new ScheduledMessage(scheduleId, now + timeout.Delay, outgoing, now), context.CancellationToken).ConfigureAwait(false);
            document.Timeouts[timeout.Name] = scheduleId;
            if (services.Wake is { } wake)
            {
                transaction.OnCommitted(wake.Set);
            }

            document.Record(new SagaHistoryEntry(now, "timeout-requested", envelope.MessageName, envelope.MessageId, timeout.Name));
        }
    }

    /// <summary>
    /// Stores the compensations the handler recorded, as finished messages; and if it compensated, stages every one not
    /// run yet, the latest first, in the message's unit of work: they leave with the state that marks them run, once.
    /// </summary>
    private static async Task ApplyCompensationsAsync(
        ReceiveContext context, IMessageContext handlerContext, SagaDocument<TState> document, SagaContext<TState> sagaContext, SagaServices services,
        DateTimeOffset now)
    {
        var envelope = context.Envelope;
        foreach (var recorded in sagaContext.RecordedCompensations)
        {
            var message = await CapturingDispatcher.BuildAsync(
                services.Send, recorded.Message, recorded.MessageType, recorded.Destination, null, envelope, context.CancellationToken).ConfigureAwait(false);
            document.Compensations.Add(new StoredCompensation
            {
                Step = recorded.Step,
                DestinationKind = message.Destination.Kind,
                Destination = message.Destination.Name,
                MessageId = message.Envelope.MessageId,
                MessageName = message.Envelope.MessageName,
                ContentType = message.Envelope.ContentType,
                Headers = message.Envelope.HasHeaders ? message.Envelope.Headers : null,
                Body = message.Envelope.Body.ToArray(),
                RecordedAt = now,
            });
            document.Record(new SagaHistoryEntry(now, "compensation-recorded", envelope.MessageName, envelope.MessageId, recorded.Step));
        }

        if (sagaContext.CompensationReason is not { } reason)
        {
            return;
        }

        var dispatcher = (IOutgoingDispatcher)handlerContext;
        for (var i = document.Compensations.Count - 1; i >= 0; i--)
        {
            var compensation = document.Compensations[i];
            if (compensation.SentAt is not null)
            {
                continue;
            }

            var outgoing = new OutgoingMessage(
                new Destination(compensation.DestinationKind, compensation.Destination),
                new Envelope
                {
                    MessageId = compensation.MessageId,
                    MessageName = compensation.MessageName,
                    CorrelationId = envelope.CorrelationIdToCarry ?? envelope.MessageId.ToString(),
                    CausationId = envelope.MessageId.ToString(),
                    SentAt = now,
                    ContentType = compensation.ContentType,
                    Headers = compensation.Headers is null ? null : new Dictionary<string, string>(compensation.Headers, StringComparer.Ordinal),
                    Body = compensation.Body,
                });
            await dispatcher.DispatchAsync(outgoing, context.CancellationToken).ConfigureAwait(false);
            TidingsDiagnostics.CountSent(services.Transport, outgoing.Destination.Name);
            compensation.SentAt = now;
            compensation.Reason = reason;
            document.Record(new SagaHistoryEntry(now, "compensated", envelope.MessageName, envelope.MessageId, compensation.Step));
        }

        if (document.Status == SagaStatus.Active)
        {
            document.Status = SagaStatus.Compensated;
        }
    }

    /// <summary>The timeout as a message to the saga's own endpoint, built by the send pipeline, naming its instance in its headers.</summary>
    private static async Task<OutgoingMessage> BuildTimeoutAsync(
        SagaRegistration saga, ReceiveContext context, SagaDocument<TState> document, string correlationId, RequestedTimeout timeout, Guid scheduleId,
        Pipeline<SendContext> send)
    {
        var options = new SendOptions
        {
            Headers = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [TidingsHeaders.SagaName] = saga.Name,
                [TidingsHeaders.SagaCorrelationId] = correlationId,
                [TidingsHeaders.SagaInstanceId] = document.InstanceId.ToString(),
                [TidingsHeaders.SagaTimeout] = timeout.Name,
                [TidingsHeaders.ScheduleId] = scheduleId.ToString("D", CultureInfo.InvariantCulture),
            },
        };
        return await CapturingDispatcher.BuildAsync(send, timeout.Message, timeout.MessageType, context.EndpointName, options, context.Envelope, context.CancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>A message (not a timeout, not a starter) for an instance that completed and is kept: final, so never retried.</summary>
    private static async Task LateAsync(
        SagaRegistration saga, ReceiveContext context, SagaState stored, SagaDocument<TState> document, string correlationId, SagaServices services)
    {
        var envelope = context.Envelope;
        if (saga.Options.LateMessages != SagaLateMessages.Record)
        {
            throw new DeadLetterException("saga-completed",
                $"Saga {saga.Name} '{correlationId}' has completed; message '{envelope.MessageName}' {envelope.MessageId} came after it.");
        }

        LogLate(services.Logger, saga.Name, correlationId, envelope.MessageName, envelope.MessageId);
        document.Record(new SagaHistoryEntry(services.Time.GetUtcNow(), "late", envelope.MessageName, envelope.MessageId));
        var data = document.Write();
        var transaction = context.BatchTransaction!;
        if (transaction.Sagas is { } session)
        {
            session.Update(stored, data);
        }
        else
        {
            await services.Store.UpdateAsync(transaction, stored, data, context.CancellationToken).ConfigureAwait(false);
        }

        TellOnCommit(transaction, services, saga.Name, correlationId);
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
                // Its starter may be in flight on another worker, or still on its way: retried, then dead-lettered.
                throw new SagaNotFoundException(
                    $"Saga {saga.Name} has no instance '{correlationId}' for message '{context.Envelope.MessageName}' {context.Envelope.MessageId}, " +
                    "and the message does not start one.");
        }
    }

    [LoggerMessage(LogLevel.Information, "Saga {Saga} has no instance '{CorrelationId}'; message '{MessageName}' {MessageId} ignored, as the saga asks.")]
    private static partial void LogIgnored(ILogger logger, string saga, string correlationId, string messageName, Guid messageId);

    [LoggerMessage(LogLevel.Information, "Saga {Saga} '{CorrelationId}' has completed: message '{MessageName}' {MessageId} came after it; recorded and dropped, as the saga asks.")]
    private static partial void LogLate(ILogger logger, string saga, string correlationId, string messageName, Guid messageId);

    [LoggerMessage(LogLevel.Information, "Saga {Saga} '{CorrelationId}' completed and is kept: starter '{MessageName}' {MessageId} starts no new instance in its place; ignored.")]
    private static partial void LogCompletedKept(ILogger logger, string saga, string correlationId, string messageName, Guid messageId);

    [LoggerMessage(LogLevel.Debug, "Saga {Saga} '{CorrelationId}': timeout '{MessageName}' {MessageId} is no longer awaited (completed, replaced or cancelled); dropped.")]
    private static partial void LogStaleTimeout(ILogger logger, string saga, string correlationId, string messageName, Guid messageId);
}

/// <summary>Takes the message the send pipeline finished instead of sending it (to schedule it, or keep it for later).</summary>
internal sealed class CapturingDispatcher : IOutgoingDispatcher
{
    private OutgoingMessage? _message;

    /// <summary>
    /// <paramref name="message"/> as the send pipeline finishes it (named, serialized, its envelope built) for
    /// <paramref name="destination"/>, without sending it.
    /// </summary>
    public static async Task<OutgoingMessage> BuildAsync(
        Pipeline<SendContext> send, object message, Type messageType, string destination, SendOptions? options, Envelope? incoming, CancellationToken cancellationToken)
    {
        var capture = new CapturingDispatcher();
        await send.InvokeAsync(new SendContext(message, messageType, destination, options, incoming, capture, cancellationToken)).ConfigureAwait(false);
        return capture._message ?? throw new InvalidOperationException($"The send pipeline produced no message for {messageType.Name}.");
    }

    public ValueTask DispatchAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        _message = message;
        return ValueTask.CompletedTask;
    }
}
