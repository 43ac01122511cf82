namespace Tidings.Simulation;

/// <summary>A process dying at a step boundary: whatever it would do next, it does not.</summary>
internal sealed class SimulatedCrashException(string service, string where) : Exception($"{service} crashed {where}.")
{
    public string Service { get; } = service;
}

/// <summary>A failure of the database or the broker that the next try may not meet.</summary>
internal sealed class SimulatedFaultException(string what) : Exception(what);

/// <summary>
/// Every choice of a run, from its seed: which step comes next, and which fault strikes where. One instance per run,
/// used from one thread in a fixed order, so that a seed gives the same run every time.
/// </summary>
internal sealed class Faults(int seed, Trace trace)
{
    private readonly Random _random = new(seed);

    /// <summary>Off while the run drains: then only the steps choose, and nothing fails.</summary>
    public bool On { get; set; } = true;

    public int Crashes { get; private set; }

    public int Next(int max) => _random.Next(max);

    public void Note(string line) => trace.Add(line);

    public double NextDouble() => _random.NextDouble();

    /// <summary>True with <paramref name="probability"/>, while faults are on.</summary>
    public bool Strike(double probability) => On && _random.NextDouble() < probability;

    /// <summary>Crashes <paramref name="service"/> at <paramref name="where"/> with <paramref name="probability"/> (at most a few per run).</summary>
    public void MaybeCrash(SimulatedService service, string where, double probability = 0.03)
    {
        if (service.Crashed)
        {
            throw new SimulatedCrashException(service.Name, "(already)");
        }

        if (Crashes < 4 && Strike(probability))
        {
            Crashes++;
            service.Crashed = true;
            trace.Add($"crash {service.Name} {where}");
            throw new SimulatedCrashException(service.Name, where);
        }
    }
}
