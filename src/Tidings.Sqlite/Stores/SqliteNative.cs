using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Tidings.Sqlite;

/// <summary>
/// What SQLitePCLRaw does not wrap: whether a connection's transaction holds the write lock yet
/// (<c>sqlite3_txn_state</c>, in the same native library Microsoft.Data.Sqlite loads).
/// </summary>
internal static partial class SqliteNative
{
    private const int TransactionWrite = 2;
    private static bool _unavailable;

    /// <summary>
    /// True if <paramref name="connection"/>'s transaction has written (and so holds SQLite's write lock). Where the
    /// native call is missing (another SQLite provider), true: the caller then skips its gate and waits at SQLite's busy
    /// handler, which is slower but cannot deadlock.
    /// </summary>
    public static bool HoldsWriteLock(SqliteConnection connection)
    {
        if (_unavailable || connection.Handle is not { } handle)
        {
            return true;
        }

        try
        {
            return TxnState(handle.DangerousGetHandle(), IntPtr.Zero) == TransactionWrite;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return true;
        }
    }

    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_txn_state")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static partial int TxnState(IntPtr db, IntPtr schema);
}
