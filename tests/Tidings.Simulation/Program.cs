using System.Globalization;
using System.Text.Json;
using Tidings.Simulation;

// dotnet run -c Release --project tests/Tidings.Simulation -- --seeds N [--start S] [--trace SEED]
var seeds = 1000;
var start = 1;
int? traced = null;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--seeds" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
            seeds = n;
            i++;
            break;
        case "--start" when int.TryParse(value, CultureInfo.InvariantCulture, out var s):
            start = s;
            i++;
            break;
        case "--trace" when int.TryParse(value, CultureInfo.InvariantCulture, out var t):
            traced = t;
            i++;
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.");
            Console.Error.WriteLine("Usage: --seeds N (default 1000) --start S (default 1) | --trace SEED (one run, its trace and violations)");
            return 2;
    }
}

if (traced is { } one)
{
    Tidings.Simulation.Trace.Echo = Console.Out;
    var result = await Simulation.RunAsync(one);

    foreach (var violation in result.Violations)
    {
        Console.WriteLine("VIOLATION " + violation);
    }

    return result.Passed ? 0 : 1;
}

var report = await SeedRunner.RunAsync(start, seeds, progress: Console.Error);
Console.WriteLine(JsonSerializer.Serialize(report.ToJson()));
return report.Failures.Count == 0 ? 0 : 1;
