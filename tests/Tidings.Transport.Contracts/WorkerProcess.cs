using System.Diagnostics;

namespace Tidings.Transport.Contracts;

/// <summary>A Tidings.TestWorker process: a real service process the tests start, wait for, and kill.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

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

    public static WorkerProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(WorkerPath());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the worker"));
    }

    /// <summary>
    /// Starts the worker with writes past <paramref name="kilobytes"/> per file refused (RLIMIT_FSIZE, as a full disk
    /// refuses them; SIGXFSZ ignored so the write fails instead of killing the process).
    /// </summary>
    public static WorkerProcess StartWithFileSizeLimit(int kilobytes, params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The runtime's double-mapped code pages live in a memory file, which the limit would refuse too.
        info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"trap '' XFSZ; ulimit -f {kilobytes}; exec dotnet \"$@\"");
        info.ArgumentList.Add("worker");
        info.ArgumentList.Add(WorkerPath());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the worker"));
    }

    public async Task WaitForReadyAsync() =>
        await _ready.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>kill -9: no shutdown, no settling, leases left as they are.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>Closes standard input: the worker stops gracefully.</summary>
    public async Task StopAsync()
    {
        _process.StandardInput.Close();
        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

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
            _output.Add(line);
        }

        if (line == "ready")
        {
            _ready.TrySetResult();
        }
    }

    private static string WorkerPath()
    {
        // The worker is built beside the test project (a build-order reference): same configuration, same framework.
        // The test runs from tests/<project>/bin/<configuration>/<framework>/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!;
        var tests = configuration.Parent!.Parent!.Parent!;
        var dll = Path.Combine(tests.FullName, "Tidings.TestWorker", "bin", configuration.Name, framework.Name, "Tidings.TestWorker.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build tests/Tidings.TestWorker first.", dll);
    }
}
