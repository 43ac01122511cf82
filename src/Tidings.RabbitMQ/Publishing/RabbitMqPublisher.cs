using System.Runtime.CompilerServices;
using System.Net.Sockets;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using RabbitMQ.Client.Exceptions;
using Tidings.RabbitMQ.Connections;
using Tidings.RabbitMQ.Wire;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Publishing;

/// <summary>
/// Publishes batches with publisher confirms on a small pool of channels. A batch completes when the broker has
/// confirmed every message in it. While the broker is unreachable, the batch is published again once the connection
/// has recovered, until <see cref="RabbitMqTransportOptions.PublishTimeout"/>: a message may then arrive twice (its
/// id is the same, so effectively-once endpoints drop the copy), but a confirmed send is never lost and an unconfirmed
/// one is never reported as sent.
/// </summary>
internal sealed class RabbitMqPublisher : IAsyncDisposable
{
    private readonly RabbitMqConnections _connections;
    private readonly PublishChannel[] _channels;
    private readonly ResiliencePipeline _resilience;
    private readonly TimeSpan _timeout;
    private readonly Action<Publication> _onRouteMissing;
    private readonly ConfirmWatchdog _watchdog;
    private int _next;

    public RabbitMqPublisher(RabbitMqConnections connections, RabbitMqTransportOptions options, Action<Publication> onRouteMissing)
    {
        _connections = connections;
        _onRouteMissing = onRouteMissing;
        _timeout = options.PublishTimeout;
        _watchdog = new ConfirmWatchdog(options.PublishTimeout, TimeProvider.System);
        _channels = Enumerable.Range(0, Math.Max(1, options.PublishChannels)).Select(_ => new PublishChannel()).ToArray();
        _resilience = new ResiliencePipelineBuilder()
            .AddTimeout(options.PublishTimeout)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsConnectionFailure),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                UseJitter = true,
            })
            .Build();
    }

    /// <summary>Publishes <paramref name="publications"/> in order and waits for the broker to confirm them all.</summary>
    public async Task PublishAsync(IReadOnlyList<Publication> publications, CancellationToken cancellationToken)
    {
        if (publications.Count == 0)
        {
            return;
        }

        try
        {
            // The first attempt goes straight to the channel, inline (one state machine per send): the retry machinery
            // costs on every message, and is needed only when the connection is down.
            var confirms = await NextChannel().StartAsync(_connections, publications, cancellationToken).ConfigureAwait(false);
            await AwaitConfirmsAsync(confirms, publications, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            // Wait for the recovery, and publish again.
        }

        try
        {
            await _resilience.ExecuteAsync(
                static (state, token) => state.Publisher.PublishOnceAsync(state.Publications, token),
                (Publisher: this, Publications: publications), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new TimeoutException(
                $"RabbitMQ at {_connections.Address} did not confirm {publications.Count} message(s) within {_timeout} " +
                "(the broker is unreachable or blocked); they may or may not have been stored.", ex);
        }
    }

    private async ValueTask PublishOnceAsync(IReadOnlyList<Publication> publications, CancellationToken cancellationToken)
    {
        var confirms = await NextChannel().StartAsync(_connections, publications, cancellationToken).ConfigureAwait(false);
        await AwaitConfirmsAsync(confirms, publications, cancellationToken).ConfigureAwait(false);
    }

    private PublishChannel NextChannel() => _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)];

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitConfirmsAsync(Task[] confirms, IReadOnlyList<Publication> publications, CancellationToken cancellationToken)
    {
        var all = confirms.Length == 1 ? confirms[0] : Task.WhenAll(confirms);
        if (all.IsCompletedSuccessfully)
        {
            return;
        }

        // A confirm the broker never sends (a lost frame, a client bug) must not hang the sender forever. A caller that
        // can cancel gets a timer of its own; the rest (most sends) share the watchdog's epochs, with no timer per send.
        object? epoch = null;
        try
        {
            if (cancellationToken.CanBeCanceled)
            {
                await all.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await all.WaitAsync(_watchdog.Enter(out epoch)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested && !all.IsCompleted))
        {
            if (all.IsCompletedSuccessfully)
            {
                return; // confirmed just as the wait gave up
            }

            if (!all.IsCompleted)
            {
                throw new TimeoutException(
                    $"RabbitMQ at {_connections.Address} did not confirm {publications.Count} message(s) within {_timeout}; " +
                    "they may or may not have been stored.");
            }

            throw FirstFailure(confirms, publications);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw FirstFailure(confirms, publications);
        }
        finally
        {
            if (epoch is not null)
            {
                ConfirmWatchdog.Leave(epoch);
            }
        }
    }

    /// <summary>The failure that matters most: a message with no route is the caller's error; otherwise the first failure.</summary>
    private Exception FirstFailure(Task[] confirms, IReadOnlyList<Publication> publications)
    {
        Exception? first = null;
        for (var i = 0; i < confirms.Length; i++)
        {
            var error = confirms[i].Exception?.InnerException;
            switch (error)
            {
                case PublishReturnException:
                    var p = publications[i];
                    _onRouteMissing(p);
                    return new UnroutableMessageException(p.Destination, p.Properties.Type ?? "");
                case PublishException nack:
                    first ??= new InvalidOperationException(
                        $"RabbitMQ refused the message to {publications[i].Destination} (publish {nack.PublishSequenceNumber} was nacked: " +
                        "a queue is full with overflow=reject-publish, or the broker failed to store it).", nack);
                    break;
                case OperationInterruptedException notFound when notFound.Is(BrokerErrors.NotFound):
                    // The exchange was deleted behind our back: declare it again on the next send.
                    _onRouteMissing(publications[i]);
                    first ??= notFound;
                    break;
                case not null:
                    first ??= error;
                    break;
            }
        }

        return first ?? new InvalidOperationException("A publish failed without an error.");
    }

    /// <summary>
    /// A failure that goes away when the connection recovers. The broker closing a channel for an error of the
    /// publisher's (403 access refused, 404 exchange not found, 405 resource locked, 406 precondition failed) does not,
    /// and is reported at once.
    /// </summary>
    private static bool IsConnectionFailure(Exception ex) => ex switch
    {
        OperationInterruptedException channelError when BrokerErrors.IsChannelError(channelError.ShutdownReason) => false,
        OperationInterruptedException => true, // AlreadyClosedException too: connection lost, broker stopping
        BrokerUnreachableException or IOException or SocketException => true,
        ObjectDisposedException => true, // a channel replaced under a batch still publishing on it
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        await _watchdog.DisposeAsync().ConfigureAwait(false);
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }
}
