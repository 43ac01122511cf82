using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Operations;

[MessageName("test.gauges.held")]
public sealed record Held(int N);

/// <summary>Handles one message at a time and holds it until the host stops: the next ones wait.</summary>
public sealed class HeldHandler : IHandleMessages<Held>
{
    // Never completed: the message stays in flight until the host's stop cancels the handler.
    private static readonly TaskCompletionSource Never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task HandleAsync(Held message, IMessageContext context, CancellationToken cancellationToken) => Never.Task.WaitAsync(cancellationToken);
}

/// <summary>The statistics gauges a dashboard or an alert reads: an endpoint's queue and the service's store, as the sampler last measured them.</summary>
public sealed class StatisticsGaugeTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_gauges_show_an_endpoints_waiting_and_in_flight_messages_and_the_stores_schedules()
    {
        var queue = "gauged-" + Guid.NewGuid().ToString("N")[..8]; // the gauges are process-wide: a queue of this test's own
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tidings" && (instrument.Name.StartsWith("tidings.queue.", StringComparison.Ordinal) || instrument.Name.StartsWith("tidings.schedules.", StringComparison.Ordinal)))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (instrument.Name.StartsWith("tidings.schedules.", StringComparison.Ordinal))
            {
                // Untagged, one measurement per host in this process: ours is the largest while other tests' hosts schedule nothing as late.
                seen.AddOrUpdate(instrument.Name, value, (_, before) => Math.Max(before, value));
                return;
            }

            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.destination.name" && Equals(tag.Value, queue))
                {
                    seen[instrument.Name] = value;
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        await using var service = await SqliteTestHost.StartAsync(_directory, t =>
        {
            t.AddEndpoint(queue, e =>
            {
                e.Handle<Held, HeldHandler>();
                e.Concurrency = 1;
                e.Prefetch = 1;
            });
            t.Configure(o => o.StatisticsInterval = TimeSpan.FromMilliseconds(100));
        });
        for (var n = 0; n < 3; n++)
        {
            await service.Bus.SendAsync(queue, new Held(n), cancellationToken: TestContext.Current.CancellationToken);
        }

        await service.Services.GetRequiredService<IMessageScheduler>()
            .ScheduleAsync(queue, new Held(9), DateTimeOffset.UtcNow.AddHours(1), cancellationToken: TestContext.Current.CancellationToken);

        await Effects.WaitForAsync(() =>
        {
            listener.RecordObservableInstruments();
            return seen.GetValueOrDefault("tidings.queue.depth") == 2 && seen.GetValueOrDefault("tidings.queue.in_flight") == 1
                && seen.GetValueOrDefault("tidings.schedules.pending") >= 1;
        }, TimeSpan.FromSeconds(30), () => string.Join(", ", seen.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(0, seen["tidings.queue.dead_letters"]);
        Assert.True(seen["tidings.queue.oldest_age"] >= 0);
        Assert.False(seen.ContainsKey("tidings.queue.consumers")); // the bus file cannot tell: no gauge rather than a wrong one
    }
}
