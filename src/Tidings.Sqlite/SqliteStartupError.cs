using Microsoft.Data.Sqlite;

namespace Tidings.Sqlite;

/// <summary>
/// One clear error when a SQLite file of Tidings' cannot be opened or given its tables at start-up (a full disk, a
/// folder that cannot be made), instead of SQLite's bare code from deep inside the host's start.
/// </summary>
internal static class SqliteStartupError
{
    private const int SqliteFull = 13;
    private const int SqliteIoError = 10;
    private const int NoSpaceLeft = 28; // ENOSPC

    public static InvalidOperationException For(string what, string path, Exception error)
    {
        var full = Path.GetFullPath(path);
        var reason = IsDiskFull(error)
            ? $"the disk is full ({FreeSpace(full)} free where it lies). Free some space and start again"
            : IsWriteRefused(error)
                ? $"the disk refused a write ({error.Message.TrimEnd('.')}: full, failing, or over a file size limit? {FreeSpace(full)} free where it lies)"
                : error.Message;
        return new InvalidOperationException($"Tidings could not open {what} '{full}': {reason}.", error);
    }

    private static bool IsDiskFull(Exception error) => error switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) == SqliteFull,
        IOException io => (io.HResult & 0xFFFF) == NoSpaceLeft,
        _ => false,
    } || (error.InnerException is { } inner && IsDiskFull(inner));

    private static bool IsWriteRefused(Exception error) =>
        error is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) == SqliteIoError;

    private static string FreeSpace(string path)
    {
        try
        {
            var bytes = new DriveInfo(Path.GetDirectoryName(path)!).AvailableFreeSpace;
            return bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";
        }
#pragma warning disable CA1031 // Only a detail of the message.
        catch (Exception)
#pragma warning restore CA1031
        {
            return "little or no space";
        }
    }
}
