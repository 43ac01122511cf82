using Microsoft.Data.Sqlite;

namespace Tidings.Transport.Contracts;

/// <summary>Reads the side effects test workers and handlers wrote to a SQLite file (whatever the transport), and waits for them.</summary>
public static class Effects
{
    public static long Count(string db, string sql)
    {
        if (!File.Exists(db))
        {
            return 0;
        }

        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException ex) when (ex.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return 0;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds: waiting for something to happen, never for "nothing".</summary>
    public static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, Func<string> diagnostics) =>
        WaitForAsync(() => Task.FromResult(condition()), timeout, diagnostics);

    /// <summary>The same for a condition that asks a database or a broker.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out. " + diagnostics());
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
