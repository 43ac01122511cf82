using System.Diagnostics;
using Tidings.Sqlite.Tests.Support;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>The README's main command works: the quickstart's two processes talk over one bus file.</summary>
public sealed class QuickstartTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_quickstart_publishes_in_one_process_and_handles_in_another()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _directory.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(QuickstartPath());
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);

        var text = await output;
        Assert.True(process.ExitCode == 0, text + await errors);
        Assert.Contains("All 5 orders were handled by the barista process.", text, StringComparison.Ordinal);
        var counter = text.Split('\n').First(l => l.StartsWith("[counter pid", StringComparison.Ordinal)).Split(' ')[2];
        var barista = text.Split('\n').First(l => l.StartsWith("[barista pid", StringComparison.Ordinal)).Split(' ')[2];
        Assert.NotEqual(counter, barista);
        Assert.True(File.Exists(Path.Combine(_directory.Path, "data", "quickstart", "bus.db")));
    }

    private static string QuickstartPath()
    {
        // Built beside this test project (a build-order reference): same configuration, same framework.
        var bin = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = bin.Name;
        var configuration = bin.Parent!.Name;
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Tidings.slnx")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root!.FullName, "samples", "Quickstart", "bin", configuration, framework, "Quickstart.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build samples/Quickstart first.", dll);
    }
}
