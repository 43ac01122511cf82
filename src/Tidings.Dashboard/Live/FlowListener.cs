using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Operations;
using Tidings.Transport;

namespace Tidings.Dashboard.Live;

/// <summary>
/// Hears every service's flow reports (<see cref="FlowReport"/>, published with their statistics) on a temporary queue
/// of this dashboard's own, which goes when this process does, and keeps each instance's last two: the map's edges, and
/// their rates from the difference. An instance not heard from for five minutes is dropped from the map.
/// </summary>
internal sealed partial class FlowListener(IServiceProvider services, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<FlowListener> logger)
    : BackgroundService
{
    private static readonly TimeSpan Forgotten = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (FlowReport Last, FlowReport? Before, DateTimeOffset HeardAt)> _instances = new(StringComparer.Ordinal);
    private long _heard;

    /// <summary>How many reports were heard: the live stream's cue to redraw the map.</summary>
    public long Heard => Interlocked.Read(ref _heard);

    /// <summary>Each instance heard from lately: its last report and the one before it, if any.</summary>
    public IReadOnlyList<(FlowReport Last, FlowReport? Before)> Reports
    {
        get
        {
            // Heard by this dashboard's clock (a sender's may be off); the senders' times serve the rates only.
            var now = time.GetUtcNow();
            foreach (var (instance, heard) in _instances)
            {
                if (now - heard.HeardAt >= Forgotten)
                {
                    _instances.TryRemove(instance, out _);
                }
            }

            return [.. _instances.Values.Select(r => (r.Last, r.Before))];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<ITransport>() is not { } transport || !await StartedAsync(stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        var queue = $"tidings.dashboard.{Guid.NewGuid():N}";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await transport.DeclareAsync(new QueueDeclaration(queue, [FlowReport.Topic], Temporary: true), stoppingToken).ConfigureAwait(false);
                var receiver = transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromMinutes(1), 100));
                await using (receiver.ConfigureAwait(false))
                {
                    while (true)
                    {
                        var batch = await receiver.ReceiveAsync(100, stoppingToken).ConfigureAwait(false);
                        foreach (var message in batch)
                        {
                            // Whatever a message holds, it is settled: one bad report must not come back forever.
                            Keep(message.Envelope);
                        }

                        await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList(), stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The map goes stale, the rest of the dashboard works: try again after a pause.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex, Pause);
                try
                {
                    await Task.Delay(Pause, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Keep(Envelope envelope)
    {
        FlowReport? report;
        try
        {
            report = JsonSerializer.Deserialize<FlowReport>(envelope.Body.Span, FlowJson.Options);
        }
#pragma warning disable CA1031 // Anything on the topic that is not a report is dropped with a word; the listener goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnreadable(logger, ex, envelope.MessageId);
            return;
        }

        if (report is not { Service.Length: > 0, Instance.Length: > 0, Endpoints: not null, Sent: not null, Received: not null }
            || report.Sent.Any(s => s is null || s.MessageName is null || s.Destination is null)
            || report.Received.Any(r => r is null || r.Endpoint is null || r.MessageName is null))
        {
            LogUnreadable(logger, null, envelope.MessageId);
            return;
        }

        var heardAt = time.GetUtcNow();
        _instances.AddOrUpdate(report.Instance, _ => (report, null, heardAt),
            (_, known) => report.At > known.Last.At ? (report, known.Last, heardAt) : known with { HeardAt = heardAt });
        Interlocked.Increment(ref _heard);
    }

    private async Task<bool> StartedAsync(CancellationToken stoppingToken)
    {
        // After the host has started: the transport (a new bus file among them) is ready by then.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Dashboard: hearing the services' flow reports failed; trying again in {Pause}.")]
    private static partial void LogFailed(ILogger logger, Exception exception, TimeSpan pause);

    [LoggerMessage(LogLevel.Warning, "Dashboard: flow report {MessageId} is not one; dropped.")]
    private static partial void LogUnreadable(ILogger logger, Exception? exception, Guid messageId);
}
