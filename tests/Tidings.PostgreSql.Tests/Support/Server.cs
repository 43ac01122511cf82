using System.Diagnostics;

namespace Tidings.PostgreSql.Tests.Support;

/// <summary>Stops and starts the local PostgreSQL cluster (the one test.sh started), for the outage tests.</summary>
public static class Server
{
    public static Task StopAsync() => ClusterAsync("stop");

    public static Task StartAsync() => ClusterAsync("start");

    private static async Task ClusterAsync(string action)
    {
        var version = Directory.GetDirectories("/usr/lib/postgresql").Select(Path.GetFileName).OrderBy(v => int.Parse(v!, System.Globalization.CultureInfo.InvariantCulture)).Last()!;
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "pg_ctlcluster" : "sudo") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!asRoot)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add("pg_ctlcluster");
        }

        start.ArgumentList.Add(version);
        start.ArgumentList.Add("main");
        start.ArgumentList.Add(action);

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // Exit code 2: the cluster already was as asked (running when started, stopped when stopped).
        if (process.ExitCode is not (0 or 2))
        {
            throw new InvalidOperationException($"pg_ctlcluster {version} main {action} failed: {await error}");
        }
    }
}
