using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace CoffeeShop.Tests;

/// <summary>
/// The README's main command, as a person runs it: the AppHost starts every service through Aspire (no containers),
/// on the embedded defaults, on the fixed ports the README gives; an order placed at the counter is served.
/// </summary>
public sealed class AppHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_apphost_starts_the_shop_on_its_fixed_ports_and_an_order_is_served()
    {
        var data = Path.Combine(Path.GetTempPath(), "coffeeshop-tests", Guid.NewGuid().ToString("N"));
        var counter = new Uri("http://127.0.0.1:5200");
        using var http = new HttpClient { BaseAddress = counter, Timeout = TimeSpan.FromSeconds(5) };
        Assert.False(await IsUpAsync(http, "/health"), "something already answers on 5200 (a CoffeeShop left running?): stop it first");
        var apiKey = Guid.NewGuid().ToString("N");
        using var appHost = StartAppHost(data, apiKey, out var output);
        try
        {
            await Tidings.Transport.Contracts.Effects.WaitForAsync(async () => await IsUpAsync(http, "/health"), TimeSpan.FromSeconds(120),
                () => $"the counter never answered on 5200: {Tail(output)}");

            using var customer = new CounterClient(counter);
            var order = await customer.PlaceAsync("Hal");
            var served = await customer.WaitForStatusAsync(order, r => r.StatusCode == HttpStatusCode.SeeOther);
            Assert.Equal($"/orders/{order.Id}/receipt", served.Headers.Location?.ToString());

            // The page, the API reference and the dashboard are where the README says.
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/index.html", Ct)).StatusCode);
            Assert.True(await IsUpAsync(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:18888") }, "/"), "the Aspire dashboard is not on 18888");
            Assert.True(await IsUpAsync(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:5203") }, "/health"), "rewards is not on 5203");

            // The dashboard has one trace that follows the order across HTTP and queues: the POST, the saga, the
            // cashier (and its HTTP call to the gateway), a barista and rewards. Read through its telemetry API.
            var services = await OrderTraceServicesAsync(apiKey);
            Assert.Superset(new HashSet<string> { "counter", "cashier", "barista", "rewards" }, services);
        }
        finally
        {
            await StopAsync(appHost);

            // Aspire's orchestrator stops the services after the AppHost: the ports are free again once they have gone.
            await Tidings.Transport.Contracts.Effects.WaitForAsync(async () => !await IsUpAsync(http, "/health"), TimeSpan.FromSeconds(60),
                () => "the counter outlived the AppHost");
            TryDelete(data);
        }
    }

    /// <summary>
    /// The services with spans in the trace of the one <c>POST /orders</c>, once the counter, cashier, a barista and
    /// rewards have all exported theirs (each exports in batches, a few seconds apart).
    /// </summary>
    private static async Task<HashSet<string>> OrderTraceServicesAsync(string apiKey)
    {
        using var dashboard = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:18888") };
        dashboard.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        var services = new HashSet<string>();
        await Tidings.Transport.Contracts.Effects.WaitForAsync(async () =>
        {
            // 404 until the counter's first batch of spans has reached the dashboard: it knows no such resource yet.
            using var response = await dashboard.GetAsync("/api/telemetry/traces?resource=counter", Ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }

            response.EnsureSuccessStatusCode();
            using var traces = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            var trace = Spans(traces).Where(s => s.Span.GetProperty("name").GetString() == "POST /orders").Select(s => s.Span.GetProperty("traceId").GetString()).FirstOrDefault();
            if (trace is null)
            {
                return false;
            }

            using var spans = JsonDocument.Parse(await dashboard.GetStringAsync($"/api/telemetry/traces/{trace}", Ct));
            services = [.. Spans(spans).Select(s => s.Service)];
            return services.IsSupersetOf(["counter", "cashier", "barista", "rewards"]);
        }, TimeSpan.FromSeconds(60), () => $"the order's trace on the dashboard has spans of {string.Join(", ", services)} only");
        return services;
    }

    /// <summary>Every span of an OTLP JSON answer of the dashboard's telemetry API, with its service's name.</summary>
    private static IEnumerable<(string Service, JsonElement Span)> Spans(JsonDocument document) =>
        from resource in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray()
        let service = resource.GetProperty("resource").GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("key").GetString() == "service.name").Select(a => a.GetProperty("value").GetProperty("stringValue").GetString()).FirstOrDefault() ?? "?"
        from scope in resource.GetProperty("scopeSpans").EnumerateArray()
        from span in scope.GetProperty("spans").EnumerateArray()
        select (service, span);

    private static Process StartAppHost(string data, string apiKey, out List<string> output)
    {
        // The dashboard reads only the settings the AppHost passes on, and a folder of key-per-file settings is one:
        // its telemetry API, with a key of this run's own.
        var settings = Path.Combine(data, "dashboard-settings");
        Directory.CreateDirectory(settings);
        File.WriteAllText(Path.Combine(settings, "Dashboard__Api__Enabled"), "true");
        File.WriteAllText(Path.Combine(settings, "Dashboard__Api__AuthMode"), "ApiKey");
        File.WriteAllText(Path.Combine(settings, "Dashboard__Api__PrimaryApiKey"), apiKey);

        // As `dotnet run` does with the AppHost's launch profile (Properties/launchSettings.json).
        var dll = ServiceProcess.PathOf("CoffeeShop.AppHost");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)! };
        info.ArgumentList.Add(dll);
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:18888";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://127.0.0.1:18889";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://127.0.0.1:18887";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["CoffeeShop__Data"] = data;
        info.Environment["ASPIRE_DASHBOARD_FILE_CONFIG_DIRECTORY"] = settings;
        var process = Process.Start(info)!;
        var lines = new List<string>();
        process.OutputDataReceived += (_, e) => { lock (lines) { lines.Add(e.Data ?? ""); } };
        process.ErrorDataReceived += (_, e) => { lock (lines) { lines.Add(e.Data ?? ""); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = lines;
        return process;
    }

    private static async Task<bool> IsUpAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path, Ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops it as Ctrl+C does (SIGTERM), so Aspire stops every service it started; SIGKILL if it will not.</summary>
    private static async Task StopAsync(Process appHost)
    {
        if (!appHost.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync(CancellationToken.None);
        }

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await appHost.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            appHost.Kill(entireProcessTree: true);
        }
    }

    private static string Tail(List<string> output)
    {
        lock (output)
        {
            return string.Join(Environment.NewLine, output.TakeLast(40));
        }
    }

    private static void TryDelete(string data)
    {
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
            // A temporary folder.
        }
    }
}
