using Microsoft.Data.Sqlite;
using System.Text;
using SQLitePCL;

namespace Tidings.Sqlite;

/// <summary>
/// A prepared statement driven through SQLitePCL's raw API, for statements that run once per message.
/// Microsoft.Data.Sqlite re-resolves parameters by name and builds a reader on every execution; on the writer's hot
/// path that overhead was as large as SQLite's own work (measured with perf), so these bind by position and step.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    public RawStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    public RawStatement Bind(int index, long? value)
    {
        Check(value is { } number ? raw.sqlite3_bind_int64(_statement, index, number) : raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Binds text, encoded to UTF-8 on the stack (SQLite copies it), so binding allocates nothing.</summary>
    public RawStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return this;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);

        // An empty span would pin to a null pointer, which SQLite binds as NULL rather than "".
        if (value.Length == 0 || max > 1024)
        {
            Check(raw.sqlite3_bind_text(_statement, index, value));
            return this;
        }

        Span<byte> utf8 = stackalloc byte[max];
        var length = Encoding.UTF8.GetBytes(value, utf8);
        Check(raw.sqlite3_bind_text(_statement, index, utf8[..length]));
        return this;
    }

    /// <summary>Binds a GUID as its 36-character text form, without allocating a string.</summary>
    public RawStatement Bind(int index, Guid value)
    {
        Span<byte> utf8 = stackalloc byte[36];
        value.TryFormat(utf8, out var length);
        Check(raw.sqlite3_bind_text(_statement, index, utf8[..length]));
        return this;
    }

    public RawStatement Bind(int index, ReadOnlySpan<byte> value)
    {
        Check(raw.sqlite3_bind_blob(_statement, index, value));
        return this;
    }

    /// <summary>
    /// Binds an envelope to eight consecutive parameters from <paramref name="first"/>: message id, name, correlation
    /// id, causation id, sent-at, content type, headers (JSON), body. The bus and the outbox store envelopes alike.
    /// </summary>
    public RawStatement BindEnvelope(int first, Envelope envelope) =>
        Bind(first, envelope.MessageId)
            .Bind(first + 1, envelope.MessageName)
            .Bind(first + 2, envelope.CorrelationIdToCarry)
            .Bind(first + 3, envelope.CausationId)
            .Bind(first + 4, envelope.SentAt.ToUnixTimeMilliseconds())
            .Bind(first + 5, envelope.ContentType)
            .Bind(first + 6, HeaderJson.Write(envelope))
            .Bind(first + 7, envelope.Body.Span);

    /// <summary>Steps to the next row of a query; false when there are no more (then resets the statement).</summary>
    public bool Read()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }

        return false;
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public string? NullableText(int column) =>
        raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL ? null : Text(column);

    public byte[] Blob(int column) => raw.sqlite3_column_blob(_statement, column).ToArray();

    /// <summary>Runs the statement to completion and returns how many rows it changed.</summary>
    public int Execute()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            {
                Check(rc);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>The rowid of the last row inserted on this connection.</summary>
    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(_db);

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
