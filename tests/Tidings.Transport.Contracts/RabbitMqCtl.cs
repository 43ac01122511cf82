using System.Diagnostics;

namespace Tidings.Transport.Contracts;

/// <summary><c>rabbitmqctl</c> on the local broker (which test.sh installs and starts): virtual hosts and the like.</summary>
public static class RabbitMqCtl
{
    /// <summary>Runs <c>rabbitmqctl</c> and returns what it printed; fails with its output if it fails.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        // rabbitmqctl needs the broker's Erlang cookie, which only root (and the rabbitmq user) can read.
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "rabbitmqctl" : "sudo") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!asRoot)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add("rabbitmqctl");
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }

        return await output;
    }

    /// <summary>A new virtual host that guest may use; its AMQP URI on the local broker.</summary>
    public static async Task<(string Name, Uri Uri)> AddVirtualHostAsync()
    {
        var name = "tidings-tests-" + Guid.NewGuid().ToString("N")[..8];
        await RunAsync("add_vhost", name);
        await RunAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return (name, new Uri($"amqp://guest:guest@127.0.0.1:5672/{name}"));
    }
}
