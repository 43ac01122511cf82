using Microsoft.Data.Sqlite;
using Tidings;

namespace Tidings.TestWorker;

[MessageName("test.deadline.started")]
public sealed record DeadlineStarted(int Seq, int TimeoutMs);

[MessageName("test.deadline.passed")]
public sealed record DeadlinePassed(int Seq);

public sealed class DeadlineState
{
    public int Seq { get; set; }
}

/// <summary>A saga that asks for a timeout when it starts; the timeout writes the effect the tests count, and completes it.</summary>
public sealed class DeadlineSaga : Saga<DeadlineState>
{
    public DeadlineSaga()
    {
        StartedBy<DeadlineStarted>(m => m.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), (m, saga) =>
        {
            saga.State.Seq = m.Seq;
            saga.RequestTimeout("deadline", TimeSpan.FromMilliseconds(m.TimeoutMs), new DeadlinePassed(m.Seq));
            return Task.CompletedTask;
        });
        OnTimeout<DeadlinePassed>((m, saga) =>
        {
            var transaction = (SqliteTransaction)saga.Transaction!;
            Effects.Insert(transaction.Connection!, transaction, m.Seq, saga.Envelope.MessageId);
            saga.Complete();
            return Task.CompletedTask;
        });
    }
}
