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

        // A version of this run's own, from this source alone, into a package cache of its own: what is installed is
        // what was just packed, never a copy cached earlier or one from another feed.
        var version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..8];
        var config = _directory.File("nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{packages}" /></packageSources></configuration>
            """, TestContext.Current.CancellationToken);
        await RunAsync("dotnet", "pack", Path.Combine(root, "src", "Tidings.Cli"), "-c", configuration, "--no-build", "-o", packages, $"-p:Version={version}");
        await RunAsync("dotnet", "tool", "install", "Tidings.Cli", "--version", version, "--tool-path", tools, "--configfile", config);
        var groups = await RunAsync(Path.Combine(tools, "tidings"), "dead-letters", "groups", "--bus", bus, "--json");
        Assert.Contains("\"dead_letters\":3", groups, StringComparison.Ordinal);
    }

    private async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["NUGET_PACKAGES"] = _directory.File("nuget-cache");
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
