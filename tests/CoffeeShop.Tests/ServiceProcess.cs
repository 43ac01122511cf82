using CoffeeShop.Cli;

namespace CoffeeShop.Tests;

/// <summary>
/// CoffeeShop services as real processes, on a data folder of the test's own: the tool's own <see cref="ServiceRun"/>
/// (compiled in from samples/CoffeeShop/CoffeeShop.Cli), started from the builds beside the test's.
/// </summary>
public static class ServiceProcess
{
    /// <summary>Starts service <paramref name="name"/> (its project's folder name) with <paramref name="settings"/> as environment variables.</summary>
    public static async Task<(ServiceRun Service, Uri Address)> StartAsync(string name, string data, params (string Key, string Value)[] settings)
    {
        var service = await ServiceRun.StartAsync(name, PathOf(name), 0, [("CoffeeShop__Data", data), .. settings], TestContext.Current.CancellationToken);
        return (service, service.Address);
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
