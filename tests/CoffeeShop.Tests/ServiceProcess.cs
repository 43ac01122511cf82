using System.Diagnostics;

namespace CoffeeShop.Tests;

/// <summary>A CoffeeShop service as a real process, on a data folder of the test's own, and where it listens.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];
    private bool _disposed;

    private ServiceProcess(Process process)
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

    /// <summary>Starts service <paramref name="name"/> (its project's folder name) with <paramref name="settings"/> as environment variables.</summary>
    public static async Task<(ServiceProcess Service, Uri Address)> StartAsync(string name, string data, params (string Key, string Value)[] settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(PathOf(name));
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["CoffeeShop__Data"] = data;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings)
        {
            info.Environment[key] = value;
        }

        var service = new ServiceProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}"));
        try
        {
            var address = await service._listening.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            return (service, address);
        }
        catch (TimeoutException)
        {
            service.Dispose();
            throw new TimeoutException($"{name} never said where it listens: {service.Output}");
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Kills the process as <c>kill -9</c> does (SIGKILL: no shutdown, nothing flushed), and waits for it to be gone.</summary>
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
            _output.Add(line);
        }

        const string Marker = "Now listening on: ";
        if (line.IndexOf(Marker, StringComparison.Ordinal) is >= 0 and var at)
        {
            _listening.TrySetResult(new Uri(line[(at + Marker.Length)..].Trim()));
        }
    }

    /// <summary>The built dll of sample <paramref name="name"/>, beside the test's own build.</summary>
    public static string PathOf(string name, string? assembly = null)
    {
        // Built beside the test project (a build-order reference): same configuration, same framework.
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!;
        var root = configuration.Parent!.Parent!.Parent!.Parent!;
        var dll = Path.Combine(root.FullName, "samples", "CoffeeShop", name, "bin", configuration.Name, framework.Name, (assembly ?? name) + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build samples/CoffeeShop/{name} first.", dll);
    }
}
