using Microsoft.Extensions.DependencyInjection;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Pipeline.Steps;

/// <summary>
/// One attempt's unit of work: a DI scope, and in effectively-once mode a savepoint in the batch's transaction.
/// When the handlers succeed, their outgoing messages go to the outbox (same transaction) or, without a store,
/// straight to the transport before the message is acknowledged. When they fail, nothing they staged leaves.
/// </summary>
internal sealed class UnitOfWorkStep(IServiceScopeFactory scopes, ITransport transport, IOutboxStore? outbox) : IStep<ReceiveContext>
{
    private const string Savepoint = "tidings_message";

    public async ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        context.Outgoing.Clear();
        var transaction = context.BatchTransaction;
        var scope = scopes.CreateAsyncScope();
        await using var scopeDisposal = scope.ConfigureAwait(false);
        context.Services = scope.ServiceProvider;
        if (transaction is not null)
        {
            await transaction.Transaction.SaveAsync(Savepoint, context.CancellationToken).ConfigureAwait(false);
        }

        try
        {
            await nextStep.InvokeAsync(context).ConfigureAwait(false);
            await DispatchOutgoingAsync(context, transaction).ConfigureAwait(false);
            if (transaction is not null)
            {
                await transaction.Transaction.ReleaseAsync(Savepoint, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            context.Outgoing.Clear();
            if (transaction is not null)
            {
                await transaction.Transaction.RollbackAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
                await transaction.Transaction.ReleaseAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            context.Services = null;
        }
    }

    private async Task DispatchOutgoingAsync(ReceiveContext context, StoreTransaction? transaction)
    {
        if (context.Outgoing.Count == 0)
        {
            return;
        }

        if (transaction is not null)
        {
            await outbox!.AddAsync(transaction, context.Outgoing, context.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            await transport.SendAsync(context.Outgoing, context.CancellationToken).ConfigureAwait(false);
        }
    }
}
