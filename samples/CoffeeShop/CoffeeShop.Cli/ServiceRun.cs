using System.Diagnostics;

namespace CoffeeShop.Cli;

/// <summary>
/// One service of the suite as a process of its own, and where it listens. The tool starts the suite with it, and the
/// CoffeeShop tests (which compile this file in) start their services with it too.
/// </summary>
public sealed class ServiceRun : IDisposable
{
    private const int KeptLines = 2000;
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _output = new();
    private bool _disposed;

    private ServiceRun(string name, Process process)
    {
        (Name, _process) = (name, process);
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>What it wrote, standard output and error together: the last two thousand lines.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>
    /// Starts the built service <paramref name="dll"/> on <paramref name="port"/> (0: any free one) with
    /// <paramref name="settings"/> as environment variables; returns once it says where it listens.
    /// </summary>
    public static async Task<ServiceRun> StartAsync(string name, string dll, int port, IEnumerable<(string Key, string Value)> settings, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings)
        {
            info.Environment[key] = value;
        }

        var run = new ServiceRun(name, Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}"));
        try
        {
            run.Address = await run._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return run;
        }
        catch (TimeoutException)
        {
            run.Dispose();
            throw new TimeoutException($"{name} did not say where it listens within a minute. What it wrote:{Environment.NewLine}{run.Output}");
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>Kills it as <c>kill -9</c> does (no shutdown, nothing flushed), and waits for it to be gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Kill();
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > KeptLines)
            {
                _output.Dequeue();
            }
        }

        const string Marker = "Now listening on: ";
        if (line.IndexOf(Marker, StringComparison.Ordinal) is >= 0 and var at)
        {
            _listening.TrySetResult(new Uri(line[(at + Marker.Length)..].Trim()));
        }
    }
}
