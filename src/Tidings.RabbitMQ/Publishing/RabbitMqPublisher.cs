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
    public Task PublishAsync(IReadOnlyList<Publication> publications, CancellationToken cancellationToken) =>
        publications.Count == 0 ? Task.CompletedTask : PublishAsync(publications, firstAttempt: true, cancellationToken);

    /// <summary>
    /// One attempt. The first goes straight to the channel, with one state machine per send and the wait for its confirms
    /// inline: the retry machinery costs on every message, and is needed only when the connection is down, so a first
    /// attempt that meets a lost connection hands over to it, and it makes the later attempts.
    /// </summary>
    private async Task PublishAsync(IReadOnlyList<Publication> publications, bool firstAttempt, CancellationToken cancellationToken)
    {
        try
        {
            var confirms = await NextChannel().StartAsync(_connections, publications, cancellationToken).ConfigureAwait(false);
            var all = confirms.All;
            if (!all.IsCompleted && await WaitAsync(all, cancellationToken).ConfigureAwait(false) && !all.IsCompleted)
            {
                throw new TimeoutException(
                    $"RabbitMQ at {_connections.Address} did not confirm {publications.Count} message(s) within {_timeout}; " +
                    "they may or may not have been stored.");
            }

            if (!all.IsCompletedSuccessfully)
            {
                throw FirstFailure(confirms, publications);
            }

            return;
        }
        catch (Exception ex) when (firstAttempt && IsConnectionFailure(ex))
        {
            // Wait for the recovery, and publish again.
        }

        try
        {
            await _resilience.ExecuteAsync(
                static (state, token) => new ValueTask(state.Publisher.PublishAsync(state.Publications, firstAttempt: false, token)),
                (Publisher: this, Publications: publications), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new TimeoutException(
                $"RabbitMQ at {_connections.Address} did not confirm {publications.Count} message(s) within {_timeout} " +
                "(the broker is unreachable or blocked); they may or may not have been stored.", ex);
        }
    }

    private PublishChannel NextChannel() => _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)];

    /// <summary>
    /// Waits for the confirms; true if the wait gave up first. A confirm the broker never sends (a lost frame, a client
    /// bug) must not hang the sender forever. A caller that can cancel gets a timer of its own; the rest (most sends)
    /// share the watchdog's epochs, with no timer and nothing allocated per send.
    /// </summary>
    private ValueTask<bool> WaitAsync(Task all, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? WaitCancellableAsync(all, cancellationToken) : _watchdog.WaitAsync(all);

    private async ValueTask<bool> WaitCancellableAsync(Task all, CancellationToken cancellationToken)
    {
        try
        {
            await all.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return true;
        }
        catch (Exception) when (all.IsCompleted)
        {
            // The confirms failed: the caller reports which. A cancelled caller whose confirms are pending gets its cancellation.
        }

        return false;
    }

    /// <summary>The failure that matters most: a message with no route is the caller's error; otherwise the first failure.</summary>
    private Exception FirstFailure(Confirms confirms, IReadOnlyList<Publication> publications)
    {
        Exception? first = null;
        for (var i = 0; i < confirms.Count; i++)
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
