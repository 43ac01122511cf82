using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tidings.Transport;

namespace Tidings;

/// <summary>
/// This process's reply queue: declared on the first request, read in the background, each reply handed to the request
/// it answers (a reply's causation id is its request's message id). A reply nobody waits for any more is dropped.
/// </summary>
internal sealed partial class ReplyListener(BusRuntime runtime, ILogger<ReplyListener> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<Envelope>> _pending = new();
    private readonly SemaphoreSlim _start = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private IMessageReceiver? _receiver;
    private Task? _loop;

    /// <summary>The queue replies to this process go to.</summary>
    public string Queue { get; } = "tidings.replies." + Guid.NewGuid().ToString("N");

    public async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        await _start.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loop is not null)
            {
                return;
            }

            await runtime.Transport.DeclareAsync(new QueueDeclaration(Queue, [], Temporary: true), cancellationToken).ConfigureAwait(false);
            _receiver = runtime.Transport.CreateReceiver(Queue, new ReceiverSettings(TimeSpan.FromSeconds(30), Prefetch: 64));
            Volatile.Write(ref _loop, Task.Run(() => ListenAsync(_receiver, _stop.Token), CancellationToken.None));
        }
        finally
        {
            _start.Release();
        }
    }

    /// <summary>Registers interest in the reply to <paramref name="requestId"/>.</summary>
    public Task<Envelope> Expect(Guid requestId)
    {
        var reply = new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = reply;
        return reply.Task;
    }

    public void Forget(Guid requestId) => _pending.TryRemove(requestId, out _);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _start.Dispose();
    }

    private async Task ListenAsync(IMessageReceiver receiver, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var batch = await receiver.ReceiveAsync(64, stop).ConfigureAwait(false);
                foreach (var message in batch)
                {
                    var envelope = message.Envelope;
                    if (Guid.TryParse(envelope.CausationId, out var requestId) && _pending.TryRemove(requestId, out var reply))
                    {
                        reply.TrySetResult(envelope);
                    }
                    else
                    {
                        LogUnexpectedReply(logger, envelope.MessageId, envelope.CausationId);
                    }
                }

                await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The listener lives as long as the bus: a transport failure is logged and retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogListenFailed(logger, ex, Queue);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "Reply {MessageId} to request {RequestId} arrived after its requester stopped waiting; dropped.")]
    private static partial void LogUnexpectedReply(ILogger logger, Guid messageId, string? requestId);

    [LoggerMessage(LogLevel.Error, "Reading the reply queue {Queue} failed; trying again.")]
    private static partial void LogListenFailed(ILogger logger, Exception ex, string queue);
}
