using Microsoft.Data.Sqlite;
using Tidings.Sqlite.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>How a service on SQLite starts and ends, as a process and as a host.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_service_whose_disk_refuses_writes_at_start_up_stops_with_one_clear_error()
    {
        var db = _directory.File("service.db");
        using var service = WorkerProcess.StartWithFileSizeLimit(8, "relay", "--bus", _directory.File("bus.db"), "--db", db);

        Assert.NotEqual(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var output = service.Output;
        Assert.Contains($"Tidings could not open the service's database '{db}': the disk refused a write", output, StringComparison.Ordinal);
        // One error: the host logs it as it fails to start, then the process ends with it; nothing else went wrong.
        var errors = output.Split('\n')
            .Where(line => line.Contains("Tidings could not open", StringComparison.Ordinal))
            .Select(line => line[line.IndexOf("Tidings could not open", StringComparison.Ordinal)..(line.IndexOf("lies).", StringComparison.Ordinal) + 6)])
            .Distinct()
            .ToList();
        Assert.Single(errors);
        Assert.DoesNotContain("BackgroundService", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.Extensions.DependencyInjection", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disposed_host_holds_no_file_of_its_bus_or_database_open()
    {
        var host = await SqliteTestHost.StartAsync(_directory, t => t.AddEndpoint("work", e =>
        {
            e.Handle<CardCharged, NoOpHandler>();
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
        }));
        await host.Bus.SendAsync("work", new CardCharged(1), cancellationToken: Ct);
        await SqliteTestHost.WaitUntilAsync(() => host.Scalar("SELECT COUNT(*) FROM tidings_inbox") == 1);
        Assert.NotEmpty(OpenFilesUnder(_directory.Path));

        await host.DisposeAsync();

        Assert.Empty(OpenFilesUnder(_directory.Path));
    }

    /// <summary>The files of this process's open descriptors (Linux: /proc/self/fd) that lie under <paramref name="folder"/>.</summary>
    private static List<string> OpenFilesUnder(string folder)
    {
        var open = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(folder, StringComparison.Ordinal))
                {
                    open.Add(target);
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return open;
    }

    public sealed class NoOpHandler : IHandleMessages<CardCharged>
    {
        public Task HandleAsync(CardCharged message, IMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
