using System.Diagnostics;

namespace Tidings.Cli.Tests.Support;

/// <summary>The tidings tool as a process, as a script runs it: arguments, standard input, exit code, and its two outputs.</summary>
public sealed class ToolProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _out = [];
    private readonly List<string> _error = [];
    private readonly Action<string>? _onErrorLine;

    private ToolProcess(Process process, Action<string>? onErrorLine)
    {
        _process = process;
        _onErrorLine = onErrorLine;
        _process.OutputDataReceived += (_, e) => Add(_out, e.Data, null);
        _process.ErrorDataReceived += (_, e) => Add(_error, e.Data, _onErrorLine);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Out => Joined(_out);

    public string Error => Joined(_error);

    /// <summary>Runs the tool to its end, with <paramref name="input"/> as its standard input (closed after).</summary>
    public static Task<ToolResult> RunAsync(string? input, params string[] args) => RunAsync(input, new Dictionary<string, string>(), args);

    /// <summary>Runs the tool to its end with <paramref name="environment"/> added to its environment.</summary>
    public static async Task<ToolResult> RunAsync(string? input, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var tool = Start(null, environment, args);
        if (input is not null)
        {
            await tool._process.StandardInput.WriteAsync(input);
        }

        tool._process.StandardInput.Close();
        var code = await tool.WaitForExitAsync(TimeSpan.FromSeconds(120));
        return new ToolResult(code, tool.Out, tool.Error);
    }

    /// <summary>Starts the tool; <paramref name="onErrorLine"/> sees each line of standard error as it comes (the progress lines).</summary>
    public static ToolProcess Start(Action<string>? onErrorLine, params string[] args) => Start(onErrorLine, new Dictionary<string, string>(), args);

    private static ToolProcess Start(Action<string>? onErrorLine, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Not the test's own connection strings: the tool reads the environment, and only what a test gives it counts.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["COLUMNS"] = "200";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add(ToolPath());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new ToolProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the tool"), onErrorLine);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // the end of both outputs
        return _process.ExitCode;
    }

    /// <summary>Ctrl+C, as a person at the terminal presses it (SIGINT).</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>kill -9: no shutdown, no flushing, whatever transaction was open is lost.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    private static void Add(List<string> lines, string? line, Action<string>? onLine)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }

        onLine?.Invoke(line);
    }

    private static string Joined(List<string> lines)
    {
        lock (lines)
        {
            return string.Join('\n', lines);
        }
    }

    private static string ToolPath()
    {
        // Built beside the tests (a build-order reference), same configuration and framework; the tests run from
        // tests/<project>/bin/<configuration>/<framework>/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!;
        var root = configuration.Parent!.Parent!.Parent!.Parent!;
        var dll = Path.Combine(root.FullName, "src", "Tidings.Cli", "bin", configuration.Name, framework.Name, "Tidings.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Tidings.Cli first.", dll);
    }
}

/// <summary>How a run of the tool ended.</summary>
public sealed record ToolResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
