using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tidings.Simulation;

/// <summary>The seeds' results: how many ran, which failed and why (the first violation of each), how long it took.</summary>
internal sealed record SeedReport(int Start, int Seeds, IReadOnlyList<RunResult> Failures, double Seconds, int Orders, int Crashes)
{
    public Dictionary<string, object> ToJson() => new()
    {
        ["seeds"] = Seeds,
        ["start"] = Start,
        ["failures"] = Failures.Count,
        ["seconds"] = Math.Round(Seconds, 1),
        ["orders"] = Orders,
        ["crashes"] = Crashes,
        ["failing_seeds"] = Failures.Select(f => f.Seed).ToArray(),
        ["first_violations"] = Failures.Take(10).Select(f => $"{f.Seed}: {f.Violations[0]}").ToArray(),
    };
}

/// <summary>Runs seeds side by side (each run is one thread of its own, and shares nothing with the others).</summary>
internal static class SeedRunner
{
    public static async Task<SeedReport> RunAsync(int start, int seeds, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var failures = new ConcurrentBag<RunResult>();
        var (orders, crashes, done) = (0, 0, 0);
        await Parallel.ForEachAsync(Enumerable.Range(start, seeds), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (seed, _) =>
            {
                RunResult result;
                try
                {
                    // A run that hangs is a failing seed, not a hung search.
                    result = await Simulation.RunAsync(seed).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
                }
#pragma warning disable CA1031 // A run that throws is a failing seed, reported with the exception.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    result = new RunResult(seed, [], [$"the run threw {ex.GetType().Name}: {ex.Message} {ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}"], 0, 0);
                }

                Interlocked.Add(ref orders, result.Orders);
                Interlocked.Add(ref crashes, result.Crashes);
                if (!result.Passed)
                {
                    failures.Add(result);
                }

                var count = Interlocked.Increment(ref done);
                if (progress is not null && count % 100 == 0)
                {
                    await progress.WriteLineAsync($"{count}/{seeds} seeds, {failures.Count} failing, {watch.Elapsed.TotalSeconds:F0} s");
                }
            });
        return new SeedReport(start, seeds, [.. failures.OrderBy(f => f.Seed)], watch.Elapsed.TotalSeconds, orders, crashes);
    }
}
