using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tidings.AspNetCore;

/// <summary>
/// The watched resources of one live stream endpoint. One loop asks the source for the stamps of all of them together
/// every <see cref="TidingsAspNetCoreOptions.EventsPollInterval"/> (so a change made by another instance of the service,
/// through the shared database, shows within it) and reads again those whose stamp moved; a change this process commits
/// is read at once. However many streams watch a resource, it is read once per change.
/// </summary>
#pragma warning disable CA1001 // Lives as long as the application; its semaphore holds no wait handle (AvailableWaitHandle is never asked for).
internal sealed partial class ResourceWatchHub
#pragma warning restore CA1001
{
    private readonly ResourceEventSource _source;
    private readonly IServiceProvider _services;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly Dictionary<string, ResourceWatch> _watches = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _reads = new(8);
    private long _lastFailureLog = long.MinValue / 2;
    private Task? _polling;
    private int _failures;

    public ResourceWatchHub(ResourceEventSource source, IServiceProvider services, TimeSpan pollInterval, TimeProvider time, ILogger logger, IHostApplicationLifetime? lifetime)
    {
        _source = source;
        _services = services;
        _pollInterval = pollInterval;
        _time = time;
        _logger = logger;
        _stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        _source.WatchLocalChanges(services, Changed);
    }

    /// <summary>The watch of resource <paramref name="id"/>, shared with every other stream of it; release it when done.</summary>
    public ResourceWatch Acquire(string id)
    {
        ResourceWatch watch;
        var isNew = false;
        lock (_gate)
        {
            if (!_watches.TryGetValue(id, out watch!))
            {
                _watches[id] = watch = new ResourceWatch(id, ReadAsync);
                isNew = true;
            }

            watch.Streams++;
            _polling ??= Task.Run(PollAsync);
        }

        if (isNew)
        {
            watch.Refresh();
        }

        return watch;
    }

    public void Release(ResourceWatch watch)
    {
        lock (_gate)
        {
            if (--watch.Streams == 0)
            {
                _watches.Remove(watch.Id);
            }
        }
    }

    private void Changed(string id)
    {
        ResourceWatch? watch;
        lock (_gate)
        {
            _watches.TryGetValue(id, out watch);
        }

        watch?.Refresh();
    }

    private async Task ReadAsync(ResourceWatch watch)
    {
        // However many resources changed at once, only a few reads run at a time: they share the database's pool
        // with the service's own work.
        try
        {
            await _reads.WaitAsync(_stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            watch.Fail(new OperationCanceledException("The service is stopping."), _time, _pollInterval);
            return;
        }

        try
        {
            watch.Publish(await _source.ReadAsync(watch.Id, _services, _stopping).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            // The streams keep what they have; a later poll tries again, backing off. Logged at most twice a minute,
            // however many resources fail or clients reconnect.
            watch.Fail(ex, _time, _pollInterval);
            var now = _time.GetTimestamp();
            if (!_stopping.IsCancellationRequested && _time.GetElapsedTime(Interlocked.Read(ref _lastFailureLog), now) >= TimeSpan.FromSeconds(30))
            {
                Interlocked.Exchange(ref _lastFailureLog, now);
                LogReadFailed(_logger, ex, watch.Id);
            }
        }
        finally
        {
            _reads.Release();
        }
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(_pollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping).ConfigureAwait(false))
            {
                ResourceWatch[] watched;
                lock (_gate)
                {
                    watched = [.. _watches.Values];
                }

                if (watched.Length > 0)
                {
                    await PollOnceAsync(watched).ConfigureAwait(false);
                }
            }
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Stopping: whatever the source threw on its way out (a disposed pool) ends the loop quietly.
        }
    }

    private async Task PollOnceAsync(ResourceWatch[] watched)
    {
        IReadOnlyDictionary<string, long> stamps;
        try
        {
            stamps = await _source.ReadStampsAsync([.. watched.Select(w => w.Id)], _services, _stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            // Once per outage, not once per poll.
            if (_failures++ == 0)
            {
                LogPollFailed(_logger, ex, watched.Length);
            }

            return;
        }

        if (_failures > 0)
        {
            LogPollRecovered(_logger, _failures);
            _failures = 0;
        }

        foreach (var watch in watched)
        {
            long? stamp = stamps.TryGetValue(watch.Id, out var s) ? s : null;
            var failed = watch.Failure is not null;
            if (failed && _time.GetTimestamp() < watch.RetryAt)
            {
                continue;
            }

            if (failed || !watch.StampSeen || watch.Stamp != stamp)
            {
                var first = !watch.StampSeen && watch.Latest is null && !failed;
                (watch.Stamp, watch.StampSeen) = (stamp, true);

                // The first stamp of a resource not there yet changes nothing; a failed read is tried again.
                if (!(first && stamp is null))
                {
                    watch.Refresh();
                }
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Reading resource '{Id}' for its live stream failed; its streams keep what they have and it is read again, backing off, until it works (this is said at most twice a minute).")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string id);

    [LoggerMessage(2, LogLevel.Warning, "Looking for changes of {Count} watched resources failed; their live streams wait until it works again.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(3, LogLevel.Information, "Looking for changes of watched resources works again, after {Failures} failed polls.")]
    private static partial void LogPollRecovered(ILogger logger, int failures);
}
