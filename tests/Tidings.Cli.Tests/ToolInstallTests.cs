using System.Diagnostics;
using Tidings.Cli.Tests.Support;

namespace Tidings.Cli.Tests;

/// <summary>docs/operations.md's install, as written: pack the tool to a local package source, install it from there, run it.</summary>
public sealed class ToolInstallTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_tool_packs_installs_from_a_local_package_source_and_runs()
    {
        var bus = _directory.File("bus.db");
        await DeadLetterFill.IntoBusFileAsync(bus, 3);
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!.Name;
        var root = framework.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var packages = _directory.File("packages");
        var tools = _directory.File("tools");

        await RunAsync("dotnet", "pack", Path.Combine(root, "src", "Tidings.Cli"), "-c", configuration, "--no-build", "-o", packages);
        await RunAsync("dotnet", "tool", "install", "Tidings.Cli", "--tool-path", tools, "--add-source", packages);
        var groups = await RunAsync(Path.Combine(tools, "tidings"), "dead-letters", "groups", "--bus", bus, "--json");
        Assert.Contains("\"dead_letters\":3", groups, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }
}
