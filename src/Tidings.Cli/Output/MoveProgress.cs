using System.Globalization;
using Spectre.Console;

namespace Tidings.Cli.Output;

/// <summary>
/// Progress of a replay or purge: a bar at a terminal; otherwise one line per batch on standard error
/// (<c>replayed 500 of 5000</c>), which a script or a log can follow without disturbing standard output.
/// </summary>
public static class MoveProgress
{
    /// <summary>Runs <paramref name="move"/>, reporting its progress towards <paramref name="total"/>.</summary>
    public static async Task<T> RunAsync<T>(string verb, long total, Func<IProgress<long>, Task<T>> move)
    {
        ArgumentNullException.ThrowIfNull(move);
        if (Console.IsOutputRedirected || Console.IsErrorRedirected)
        {
            return await move(new Lines(verb, total)).ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"{char.ToUpperInvariant(verb[0])}{verb[1..]} {total:N0} dead letters", maxValue: Math.Max(total, 1));
                result = await move(new Bar(task)).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>Reports on the caller's thread: <see cref="Progress{T}"/> would post to the pool and could report late, or out of order.</summary>
    private sealed class Lines(string verb, long total) : IProgress<long>
    {
        public void Report(long value)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {value} of {total}"));
            Console.Error.Flush();
        }
    }

    private sealed class Bar(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = Math.Min(value, task.MaxValue);
    }
}
