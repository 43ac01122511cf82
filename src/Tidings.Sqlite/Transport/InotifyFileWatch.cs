using System.Runtime.InteropServices;

namespace Tidings.Sqlite.Transport;

/// <summary>
/// Watches one file with inotify, on Linux. <see cref="FileSystemWatcher"/> cannot: it watches the whole folder and
/// filters by name in this process, so every write to any file beside the bus file (the services' own databases, as
/// in <c>data/bus.db</c> beside <c>data/orders.db</c>) woke every process on the bus. Measured on CoffeeShop, that cost
/// a tenth of the suite's throughput and five times the counter's latency.
/// </summary>
/// <remarks>
/// The file may not exist yet, or may be deleted and made again (SQLite removes the write-ahead log when the last
/// connection closes): while it is missing, the watch is tried again at every poll's time-out. Each event wakes
/// <c>onChange</c>; polling stays the fallback, so a missed event costs latency only.
/// </remarks>
internal sealed partial class InotifyFileWatch : IDisposable
{
    private const int InCloexec = 0x80000;
    private const int InNonBlock = 0x800;
    private const uint InModify = 0x2;
    private const uint InQueueOverflow = 0x4000;
    private const uint InIgnored = 0x8000;
    private const short PollIn = 0x1;
    private const int NoSuchFile = 2; // ENOENT
    private const int RetryMs = 250;
    private const int HeaderBytes = 16; // wd, mask, cookie, len: then len bytes of name (none for a file's own watch)

    private readonly int _fd;
    private readonly string _path;
    private readonly Action _onChange;
    private readonly Thread _thread;
    private volatile bool _disposed;

    private InotifyFileWatch(int fd, string path, Action onChange)
    {
        (_fd, _path, _onChange) = (fd, path, onChange);
        _thread = new Thread(Run) { IsBackground = true, Name = "Tidings SQLite watch" };
        _thread.Start();
    }

    /// <summary>A watch on <paramref name="path"/>, or null where inotify is not to be had (not Linux, no libc, no instances left).</summary>
    public static InotifyFileWatch? TryStart(string path, Action onChange)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var fd = InotifyInit(InCloexec | InNonBlock);
            return fd < 0 ? null : new InotifyFileWatch(fd, path, onChange);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        // The thread sees it within one poll time-out and closes the descriptor itself: closing it under a thread that
        // is still polling it could hand the number to a new file first.
        _disposed = true;
    }

    private void Run()
    {
        try
        {
            Watch();
        }
#pragma warning disable CA1031 // A background thread's exception would end the process: the watch stops, and polling carries on.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            _ = Close(_fd);
        }
    }

    private void Watch()
    {
        var buffer = new byte[4096];
        var watch = -1;
        while (!_disposed)
        {
            if (watch < 0)
            {
                watch = InotifyAddWatch(_fd, _path, InModify);
                if (watch >= 0)
                {
                    _onChange(); // it may have changed while it was not watched
                }
                else if (Marshal.GetLastPInvokeError() != NoSuchFile)
                {
                    return; // not a file not made yet but a refusal (no permission, the watch limit reached): polling alone
                }
            }

            var poll = new PollFd { Fd = _fd, Events = PollIn };
            if (Poll(ref poll, 1, RetryMs) <= 0)
            {
                continue;
            }

            if ((poll.Revents & PollIn) == 0)
            {
                return; // an error on the descriptor itself: polling would spin, so the watch stops
            }

            var read = (int)Read(_fd, buffer, (nuint)buffer.Length);
            if (read <= 0)
            {
                continue;
            }

            if (Lost(buffer.AsSpan(0, read), watch))
            {
                watch = -1; // watch again: the same file gets the same watch back, a new one a new watch
            }

            _onChange();
        }
    }

    /// <summary>
    /// Whether watch <paramref name="watch"/> may be gone, by <paramref name="events"/>: the kernel dropped it (its file
    /// was deleted), or its queue overflowed and may have lost the event that said so.
    /// </summary>
    private static bool Lost(ReadOnlySpan<byte> events, int watch)
    {
        while (events.Length >= HeaderBytes)
        {
            var wd = BitConverter.ToInt32(events);
            var mask = BitConverter.ToUInt32(events[4..]);
            var nameBytes = BitConverter.ToUInt32(events[12..]);
            if ((wd == watch && (mask & InIgnored) != 0) || (mask & InQueueOverflow) != 0)
            {
                return true;
            }

            events = nameBytes > (uint)(events.Length - HeaderBytes) ? [] : events[(HeaderBytes + (int)nameBytes)..];
        }

        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "inotify_init1")]
    private static partial int InotifyInit(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int InotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "poll")]
    private static partial int Poll(ref PollFd fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, [Out] byte[] buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
