using Tidings.Transport;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Wakes this process's receivers promptly when another process writes the bus file, by watching its write-ahead
/// log: on Linux with inotify on that one file (<see cref="InotifyFileWatch"/>), elsewhere with a
/// <see cref="FileSystemWatcher"/> on its folder. Polling remains the fallback, so a missed event only costs latency.
/// </summary>
internal sealed class ExternalChangeWatcher : IDisposable
{
    private readonly InotifyFileWatch? _inotify;
    private readonly FileSystemWatcher? _watcher;

    public ExternalChangeWatcher(string busPath, WakeSignal wakeup)
    {
        var wal = Path.GetFullPath(busPath) + "-wal";
        _inotify = InotifyFileWatch.TryStart(wal, wakeup.Set);
        if (_inotify is not null)
        {
            return;
        }

        try
        {
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(wal)!, Path.GetFileName(wal))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size,
                IncludeSubdirectories = false,
            };
            _watcher.Changed += (_, _) => wakeup.Set();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or ArgumentException)
        {
            // No file notifications here (inotify limits, unusual file systems): polling alone keeps things moving.
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    public void Dispose()
    {
        _inotify?.Dispose();
        _watcher?.Dispose();
    }
}
