using HdrHistogram;
using System.Diagnostics;

namespace Tidings.Benchmarks;

/// <summary>The workloads. Each returns one result line.</summary>
internal static class Workloads
{
    /// <summary>Publish N messages with many in flight; time from the first publish to the last handled.</summary>
    public static async Task<BenchResult> ThroughputAsync(BenchmarkOptions options)
    {
        await using var rig = await StartAsync(options, options.Messages);
        var padding = Padding(options.BodyBytes);
        await rig.WarmUpAsync(padding);

        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();

        // A window of publishes in flight, as a busy service has: each completes when its message is stored.
        using var window = new SemaphoreSlim(options.InFlight);
        var failures = 0;
        for (var seq = 0; seq < options.Messages; seq++)
        {
            await window.WaitAsync();
            _ = PublishOneAsync(seq);
        }

        for (var i = 0; i < options.InFlight; i++)
        {
            await window.WaitAsync();
        }

        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} publishes failed.");
        }

        var published = Stopwatch.GetElapsedTime(start);
        var report = await rig.WaitForConsumerAsync();
        var elapsed = Stopwatch.GetElapsedTime(start, report.LastHandledTicks);
        var bytes = Allocated(rig, allocated, report);
        Console.Error.WriteLine($"published {options.Messages} in {published.TotalSeconds:F2}s, handled all in {elapsed.TotalSeconds:F2}s");
        return new BenchResult(options, "throughput", options.Messages, options.Messages / elapsed.TotalSeconds,
            report.P50Ms, report.P99Ms, bytes / (double)options.Messages, report);

        async Task PublishOneAsync(long seq)
        {
            try
            {
                await rig.PublishAsync(new BenchMessage(seq, Stopwatch.GetTimestamp(), padding));
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref failures);
                Console.Error.WriteLine(ex.Message);
            }
            finally
            {
                window.Release();
            }
        }
    }

    /// <summary>Publish at a steady rate, one message at a time on schedule; measure send-to-handler latency.</summary>
    public static async Task<BenchResult> LatencyAsync(BenchmarkOptions options)
    {
        var count = options.Rate * options.DurationSeconds;
        using var profile = AllocationProfile.StartIfAsked();
        await using var rig = await StartAsync(options, count);
        var padding = Padding(options.BodyBytes);
        await rig.WarmUpAsync(padding);
        profile?.Record();

        // Where a tail comes from, measured on the sender: how late it woke for each send (the machine did not run it:
        // a stall no messaging code causes) and how long the send call itself took before it returned. Made before the
        // allocations are counted: their arrays are not the messages'.
        var late = new LongHistogram(TimeStamp.Minutes(1), 3);
        var call = new LongHistogram(TimeStamp.Minutes(1), 3);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var gc = GcDuring.Start();
        var interval = Stopwatch.Frequency / (double)options.Rate;
        var pending = new List<Task>(count);
        var begin = Stopwatch.GetTimestamp();


        // A thread of its own that sleeps between sends: spinning would take a core from the broker and the database.
        await Task.Factory.StartNew(() =>
        {
            for (var seq = 0; seq < count; seq++)
            {
                var due = begin + (long)(seq * interval);
                WaitUntil(due);

                // The send time is the scheduled time, so a late sender counts against latency (no coordinated omission).
                var start = Stopwatch.GetTimestamp();
                pending.Add(rig.PublishAsync(new BenchMessage(seq, due, padding)));
                late.RecordValue(Math.Max(0, start - due));
                call.RecordValue(Stopwatch.GetTimestamp() - start);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await Task.WhenAll(pending);
        var report = await rig.WaitForConsumerAsync();
        var elapsed = Stopwatch.GetElapsedTime(begin, report.LastHandledTicks);
        var bytes = Allocated(rig, allocated, report);
        profile?.Print(count);
        return new BenchResult(options, "latency", count, count / elapsed.TotalSeconds, report.P50Ms, report.P99Ms, bytes / (double)count, report, gc())
        {
            SendLateP99Ms = late.GetValueAtPercentile(99) * 1000.0 / Stopwatch.Frequency,
            SendCallP99Ms = call.GetValueAtPercentile(99) * 1000.0 / Stopwatch.Frequency,
        };
    }

    /// <summary>
    /// Sleeps while more than 1.3 ms remain (a 1 ms sleep takes about 1.1 ms here), then yields the core until the due
    /// time: sends are on time to the microsecond at the median, and whatever else wants the core (the broker, the
    /// database) gets it, which a busy spin would deny.
    /// </summary>
    private static void WaitUntil(long due)
    {
        var sleepAbove = Stopwatch.Frequency * 13 / 10_000;
        while (true)
        {
            var remaining = due - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            if (remaining > sleepAbove)
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private static long Allocated(IBenchRig rig, long allocatedAtStart, ConsumerReport report)
    {
        var local = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        return rig.ConsumerAllocationsIncludedLocally ? local : local + report.AllocatedBytes;
    }

    /// <summary>
    /// Handlers that work a while (an HTTP call to a payment gateway, say) before they write: N messages published at
    /// once; msgs/s from the first publish to the last handled. With W workers it approaches W / handler time when
    /// handlers run side by side, and 1 / handler time when they take turns.
    /// </summary>
    public static async Task<BenchResult> SlowHandlerAsync(BenchmarkOptions options)
    {
        await using var rig = await BenchRig.StartAsync(options, options.Messages, warmUp: options.Concurrency);
        var padding = Padding(options.BodyBytes);
        await rig.WarmUpAsync(padding);

        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, options.Messages).Select(seq => rig.PublishAsync(new BenchMessage(seq, Stopwatch.GetTimestamp(), padding))));
        var report = await rig.WaitForConsumerAsync();
        var elapsed = Stopwatch.GetElapsedTime(start, report.LastHandledTicks);
        var bytes = Allocated(rig, allocated, report);
        Console.Error.WriteLine($"{options.Messages} messages of {options.HandlerMs} ms on {options.Concurrency} workers: {elapsed.TotalSeconds:F2}s");
        return new BenchResult(options, "slow-handler", options.Messages, options.Messages / elapsed.TotalSeconds,
            report.P50Ms, report.P99Ms, bytes / (double)options.Messages, report);
    }

    /// <summary>Sequential request/reply round trips: each request waits for its reply before the next is sent.</summary>
    public static async Task<BenchResult> RequestReplyAsync(BenchmarkOptions options)
    {
        await using IRequestRig rig = options.Transport == "raw-rabbitmq"
            ? await RawRequestRig.StartAsync(options)
            : await TidingsRequestRig.StartAsync(options);
        var padding = Padding(options.BodyBytes);
        for (var i = 0; i < 500; i++)
        {
            await rig.RoundTripAsync(-i - 1, padding);
        }

        var histogram = new HdrHistogram.LongHistogram(HdrHistogram.TimeStamp.Minutes(1), 3);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var begin = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < options.RoundTrips; seq++)
        {
            var start = Stopwatch.GetTimestamp();
            await rig.RoundTripAsync(seq, padding);
            histogram.RecordValue(Stopwatch.GetTimestamp() - start);
        }

        var elapsed = Stopwatch.GetElapsedTime(begin);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new BenchResult(options, "request-reply", options.RoundTrips, options.RoundTrips / elapsed.TotalSeconds,
            Ms(histogram.GetValueAtPercentile(50)), Ms(histogram.GetValueAtPercentile(99)), bytes / (double)options.RoundTrips);
    }

    private static async Task<IBenchRig> StartAsync(BenchmarkOptions options, long expected) =>
        options.Transport == "raw-rabbitmq"
            ? await RawRabbitMqRig.StartAsync(options, expected, warmUp: 5000)
            : await BenchRig.StartAsync(options, expected);

    /// <summary>Padding so that the serialized body is about <paramref name="bodyBytes"/> long.</summary>
    private static string Padding(int bodyBytes) => new('x', Math.Max(0, bodyBytes - 60));
}
