using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace CoffeeShop.Cli;

/// <summary>What a load run saw.</summary>
public sealed record LoadReport(IReadOnlyList<TrackedOrder> Orders, TimeSpan SendTime, TimeSpan TotalTime)
{
    /// <summary>Orders that reached their end, a second, from the first order's time to the last end seen.</summary>
    public double FinishedPerSecond
    {
        get
        {
            var last = Orders.Where(o => o.FinishedAfter is not null).Select(o => o.FinishedAfter!.Value + Stopwatch.GetElapsedTime(First, o.SentAt)).DefaultIfEmpty().Max();
            return last <= TimeSpan.Zero ? 0 : Math.Round(Finished / last.TotalSeconds, 1);
        }
    }

    /// <summary>
    /// Orders that reached their end, a second, while the run was steady: between the moments the tenth and the ninetieth
    /// percent of the ends were heard. A suite that keeps up ends orders at the offered rate; one that does not, at what
    /// it can. Unlike <see cref="FinishedPerSecond"/>, it is not lowered by the last orders' time to their end. Null
    /// when some orders never ended: a rate of the ones that did would flatter a shop that lost the others.
    /// </summary>
    public double? SustainedPerSecond
    {
        get
        {
            if (Finished < Orders.Count)
            {
                return null;
            }

            var ends = Orders.Where(o => o.FinishedAfter is not null)
                .Select(o => o.SentAt + (long)(o.FinishedAfter!.Value.TotalSeconds * Stopwatch.Frequency)).Order().ToList();
            if (ends.Count < 10)
            {
                return 0;
            }

            var (from, to) = (ends.Count / 10, ends.Count * 9 / 10 - 1);
            var seconds = (ends[to] - ends[from]) / (double)Stopwatch.Frequency;
            return seconds <= 0 ? 0 : Math.Round((to - from) / seconds, 1);
        }
    }

    private long First => Orders.Count == 0 ? 0 : Orders.Min(o => o.SentAt);

    public int Accepted => Orders.Count(o => o.Answer is 200 or 202);

    /// <summary>Orders the shop did not take: a refusal, an error, or no answer at all.</summary>
    public int Errors => Orders.Count(o => o.Answer is not (200 or 202 or 402));

    public int Finished => Orders.Count(o => o.Outcome is not null);

    public int Count(string outcome) => Orders.Count(o => o.Outcome == outcome);

    /// <summary>Percentile <paramref name="p"/> of the time to an answer to <c>POST /orders</c>, in ms.</summary>
    public double AnswerMs(double p) => Percentile(Orders.Select(o => o.AnswerTime), p);

    /// <summary>Percentile <paramref name="p"/> of the time from the order to its end, in ms (finished orders only).</summary>
    public double FinishMs(double p) => Percentile(Orders.Where(o => o.FinishedAfter is not null).Select(o => o.FinishedAfter!.Value), p);

    private static double Percentile(IEnumerable<TimeSpan> times, double p)
    {
        var histogram = new LongHistogram(TimeStamp.Minutes(10), 3);
        foreach (var time in times)
        {
            histogram.RecordValue(Math.Max(1, time.Ticks / 10)); // microseconds
        }

        return histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(p) / 1000.0, 3);
    }
}

/// <summary>
/// Places orders at a steady rate (each on its schedule, so a slow answer does not slow the next order: no coordinated
/// omission), then follows the accepted ones until they end, reading each one's status with its ETag.
/// </summary>
public sealed class LoadDriver(ShopClient shop, OutcomeFeed? feed = null)
{
    /// <summary>Every <paramref name="everyNth"/> order (0: none) uses a card that is declined.</summary>
    public async Task<LoadReport> RunAsync(int orders, int rate, TimeSpan patience, Action<int, int>? progress, CancellationToken cancellationToken, int everyNth = 0)
    {
        var begin = Stopwatch.GetTimestamp();
        var placed = new ConcurrentBag<TrackedOrder>();
        var sends = new List<Task>(orders);
        var pending = new ConcurrentQueue<TrackedOrder>();
        var follow = FollowAsync(pending, placed, orders, patience, progress, cancellationToken);
        for (var i = 0; i < orders; i++)
        {
            var due = begin + (long)(i * (Stopwatch.Frequency / (double)rate));
            if (Stopwatch.GetTimestamp() < due)
            {
                // The pacer waits for the next order's time; lateness is measured from that time, not from when it went.
                await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (due - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), cancellationToken);
            }

            var n = i;
            sends.Add(Task.Run(async () =>
            {
                var card = everyNth > 0 && n % everyNth == everyNth - 1 ? "tok_declined" : "tok_visa";
                var order = await shop.PlaceAsync($"Guest{n % 50}", n, card, due, cancellationToken);
                pending.Enqueue(order); // before it counts as placed: the follower never sees all placed and one not yet pending
                placed.Add(order);
            }, cancellationToken));
        }

        await Task.WhenAll(sends);
        var sendTime = Stopwatch.GetElapsedTime(begin);
        await follow;
        return new LoadReport([.. placed], sendTime, Stopwatch.GetElapsedTime(begin));
    }

    private async Task FollowAsync(
        ConcurrentQueue<TrackedOrder> pending, ConcurrentBag<TrackedOrder> placed, int orders, TimeSpan patience, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        var open = new List<TrackedOrder>();
        var lastNews = Stopwatch.GetTimestamp();
        while (true)
        {
            while (pending.TryDequeue(out var order))
            {
                open.Add(order);
            }

            var before = open.Count;
            if (feed is not null)
            {
                // Heard on the bus: nothing is asked of the counter.
                foreach (var order in open)
                {
                    if (order.Id is not null && feed.Ended.TryGetValue(order.Id, out var ended))
                    {
                        (order.Outcome, order.FinishedAfter) = (ended.Outcome, Stopwatch.GetElapsedTime(order.SentAt, ended.At));
                    }
                }
            }
            else
            {
                // Sixteen reads at a time, each order once a sweep.
                await Parallel.ForEachAsync(open.ToList(), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (order, ct) =>
            {
                try
                {
                    await shop.RefreshAsync(order, ct);
                }
                catch (HttpRequestException)
                {
                    // The counter is busy or restarting: the next sweep asks again.
                }
            });
            }
            open.RemoveAll(o => o.Outcome is not null || o.Location is null);
            var done = placed.Count - open.Count - pending.Count;
            progress?.Invoke(done, orders);
            if (open.Count < before || !pending.IsEmpty)
            {
                lastNews = Stopwatch.GetTimestamp();
            }

            if (placed.Count == orders && open.Count == 0 && pending.IsEmpty)
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(lastNews) > patience)
            {
                return; // nothing moved for that long: the report says what did not finish
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
