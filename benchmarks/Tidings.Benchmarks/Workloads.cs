using System.Diagnostics;

namespace Tidings.Benchmarks;

/// <summary>The workloads. Each returns one result line.</summary>
internal static class Workloads
{
    /// <summary>Publish N messages with many in flight; time from the first publish to the last handled.</summary>
    public static async Task<BenchResult> ThroughputAsync(BenchmarkOptions options)
    {
        await using var host = await BenchHost.StartAsync(options);
        var padding = Padding(options.BodyBytes);
        await WarmUpAsync(host, padding);

        var recorder = host.Recorder;
        recorder.Reset();
        var start = recorder.Handled;
        recorder.Expected = start + options.Messages;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();

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

        async Task PublishOneAsync(long seq)
        {
            try
            {
                await host.Bus.PublishAsync(new BenchMessage(seq, Stopwatch.GetTimestamp(), padding));
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

        var published = stopwatch.Elapsed;
        await recorder.Done.WaitAsync(TimeSpan.FromMinutes(5));
        stopwatch.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;

        Console.Error.WriteLine($"published {options.Messages} in {published.TotalSeconds:F2}s, handled all in {stopwatch.Elapsed.TotalSeconds:F2}s");
        return new BenchResult(options, "throughput", options.Messages, options.Messages / stopwatch.Elapsed.TotalSeconds,
            recorder.PercentileMs(50), recorder.PercentileMs(99), bytes / (double)options.Messages);
    }

    /// <summary>Publish at a steady rate, one message at a time on schedule; measure send-to-handler latency.</summary>
    public static async Task<BenchResult> LatencyAsync(BenchmarkOptions options)
    {
        await using var host = await BenchHost.StartAsync(options);
        var padding = Padding(options.BodyBytes);
        await WarmUpAsync(host, padding);

        var recorder = host.Recorder;
        recorder.Reset();
        var count = options.Rate * options.DurationSeconds;
        recorder.Expected = recorder.Handled + count;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var interval = Stopwatch.Frequency / (double)options.Rate;
        var pending = new List<Task>();
        var begin = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < count; seq++)
        {
            var due = begin + (long)(seq * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var wait = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (wait > 1)
                {
                    await Task.Delay((int)wait - 1);
                }
                else
                {
                    Thread.SpinWait(50);
                }
            }

            // The send time is the scheduled time, so a stalled sender counts against latency (no coordinated omission).
            pending.Add(host.Bus.PublishAsync(new BenchMessage(seq, due, padding)).AsTask());
        }

        await Task.WhenAll(pending);
        await recorder.Done.WaitAsync(TimeSpan.FromMinutes(5));
        var elapsed = Stopwatch.GetElapsedTime(begin);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        return new BenchResult(options, "latency", count, count / elapsed.TotalSeconds,
            recorder.PercentileMs(50), recorder.PercentileMs(99), bytes / (double)count);
    }

    private static async Task WarmUpAsync(BenchHost host, string padding)
    {
        var recorder = host.Recorder;
        recorder.Expected = 500;
        var tasks = Enumerable.Range(0, 500).Select(i => host.Bus.PublishAsync(new BenchMessage(-i, Stopwatch.GetTimestamp(), padding)).AsTask());
        await Task.WhenAll(tasks);
        await recorder.Done.WaitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>Padding so that the serialized body is about <paramref name="bodyBytes"/> long.</summary>
    private static string Padding(int bodyBytes) => new('x', Math.Max(0, bodyBytes - 60));
}
