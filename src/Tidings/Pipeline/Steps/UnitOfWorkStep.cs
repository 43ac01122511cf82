using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// One attempt's unit of work: a DI scope, and in effectively-once mode a savepoint in the batch's transaction (a store
/// operation: <see cref="Stores.StoreSavepoints"/>).
/// When the handlers succeed, their outgoing messages go to the outbox (same transaction) or, without a store, to the
/// transport before the message is acknowledged: with the batch's other messages when the batch sends them
/// (<see cref="ReceiveContext.BatchSends"/>), else at once. When they fail, nothing they staged leaves.
/// </summary>
internal sealed class UnitOfWorkStep(IServiceScopeFactory scopes, ITransport transport) : IStep<ReceiveContext>
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        context.ClearOutgoing();
        var transaction = context.BatchTransaction;

        // Disposed in the finally below: an await using would box the scope struct on every message.
        var scope = scopes.CreateAsyncScope();
        context.Services = scope.ServiceProvider;
        var savepoint = transaction is not null && !context.Optimistic;
        if (savepoint)
        {
            await transaction!.Savepoints.SaveAsync(transaction, context.CancellationToken).ConfigureAwait(false);
        }

        try
        {
            var participants = transaction is null ? [] : await EnlistAsync(scope.ServiceProvider, transaction, context.CancellationToken).ConfigureAwait(false);
            await nextStep.InvokeAsync(context).ConfigureAwait(false);
            foreach (var participant in participants)
            {
                await participant.CompleteAsync(context.CancellationToken).ConfigureAwait(false);
            }

            if (transaction is null)
            {
                if (!context.BatchSends)
                {
                    await SendOutgoingAsync(context).ConfigureAwait(false);
                }
            }
            else if (savepoint)
            {
                await transaction.Savepoints.ReleaseAsync(transaction, context.CancellationToken).ConfigureAwait(false);
            }

            // Written to the outbox with the rest of the batch's messages, just before the commit.
            if (transaction is not null && context.HasOutgoing)
            {
                transaction.Outgoing.AddRange(context.Outgoing);
            }
        }
        catch (Exception ex)
        {
            context.ClearOutgoing();
            if (transaction is not null && !savepoint)
            {
                // Nothing to roll back to short of the whole transaction: the batch starts over, with savepoints. A
                // failure of the handler's own (not the database's: that may be a conflict of the optimistic pass) is
                // this message's first attempt there.
                if (ReferenceEquals(ex, context.HandlerFailure) && !FromTheDatabase(ex) && ex is not OperationCanceledException)
                {
                    context.CarriedFailure = ex;
                }

                throw new BatchRestartException(ex);
            }

            if (savepoint)
            {
                await transaction!.Savepoints.RollbackAsync(transaction, CancellationToken.None).ConfigureAwait(false);
                await transaction.Savepoints.ReleaseAsync(transaction, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            context.Services = null;
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A database error, or one that wraps it (an EF Core DbUpdateException): maybe a conflict of the optimistic pass.</summary>
    private static bool FromTheDatabase(Exception ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is DbException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The scope's participants (a DbContext, say) join the transaction before any handler can use them.</summary>
    private static async ValueTask<IUnitOfWorkParticipant[]> EnlistAsync(IServiceProvider services, StoreTransaction transaction, CancellationToken cancellationToken)
    {
        var participants = services.GetServices<IUnitOfWorkParticipant>().ToArray();
        foreach (var participant in participants)
        {
            await participant.EnlistAsync(transaction.Connection, transaction.Transaction, cancellationToken).ConfigureAwait(false);
        }

        return participants;
    }

    private async Task SendOutgoingAsync(ReceiveContext context)
    {
        if (context.HasOutgoing)
        {
            await transport.SendAsync(context.Outgoing, context.CancellationToken).ConfigureAwait(false);
        }
    }
}
