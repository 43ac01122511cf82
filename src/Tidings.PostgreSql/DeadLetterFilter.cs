using System.Text;
using Npgsql;
using Tidings.DeadLetters;

namespace Tidings.PostgreSql;

/// <summary>A <see cref="DeadLetterQuery"/> as conditions on the dead_letters table, with positional parameters.</summary>
internal static class DeadLetterFilter
{
    /// <summary>Appends <c>WHERE …</c> (always at least <c>true</c>) to <paramref name="sql"/>, adding the parameters to <paramref name="parameters"/>.</summary>
    public static void Where(StringBuilder sql, NpgsqlParameterCollection parameters, DeadLetterQuery query)
    {
        sql.Append(" WHERE true");
        if (query.Endpoint is { } endpoint)
        {
            Equal(sql, parameters, "destination", endpoint);
        }

        if (query.Group is { } group)
        {
            Equal(sql, parameters, "reason", group.Reason);
            Same(sql, parameters, "exception_type", group.ExceptionType);
            Same(sql, parameters, "user_frame", group.UserFrame);
        }

        if (query.Reason is { } reason)
        {
            Equal(sql, parameters, "reason", reason);
        }

        if (query.ExceptionType is { } type)
        {
            Equal(sql, parameters, "exception_type", type);
        }

        if (query.MessageName is { } name)
        {
            Equal(sql, parameters, "message_name", name);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND dead_lettered_at >= $").Append(Add(parameters, since.ToUniversalTime()));
        }

        if (query.Until is { } until)
        {
            sql.Append(" AND dead_lettered_at < $").Append(Add(parameters, until.ToUniversalTime()));
        }
    }

    public static int Add<T>(NpgsqlParameterCollection parameters, T value)
    {
        parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
        return parameters.Count;
    }

    private static void Equal(StringBuilder sql, NpgsqlParameterCollection parameters, string column, string value) =>
        sql.Append(" AND ").Append(column).Append(" = $").Append(Add(parameters, value));

    /// <summary>Equal, or both null: the group of a dead letter without an exception has no type and no frame.</summary>
    private static void Same(StringBuilder sql, NpgsqlParameterCollection parameters, string column, string? value)
    {
        if (value is null)
        {
            sql.Append(" AND ").Append(column).Append(" IS NULL");
        }
        else
        {
            Equal(sql, parameters, column, value);
        }
    }
}
