namespace Tidings.Pipeline;

/// <summary>
/// A message failed in an optimistic batch (no savepoint per message): the batch's transaction must roll back and the
/// batch run again with savepoints, where the failure is retried or dead-lettered on its own.
/// </summary>
internal sealed class BatchRestartException : Exception
{
    public BatchRestartException()
    {
    }

    public BatchRestartException(string message) : base(message)
    {
    }

    public BatchRestartException(string message, Exception inner) : base(message, inner)
    {
    }

    public BatchRestartException(Exception inner) : base("A message failed in an optimistic batch; the batch starts over.", inner)
    {
    }
}
