using System.Text.RegularExpressions;
using Npgsql;

namespace Tidings.PostgreSql;

/// <summary>Tidings' tables in the service's database, created and migrated idempotently.</summary>
public static partial class PostgreSqlSchema
{
    /// <summary>The schema version this package creates.</summary>
    public const int Version = 6;

    /// <summary>
    /// The SQL that creates (or brings up to date) Tidings' tables in <paramref name="schema"/>, for teams that run
    /// their own migrations. Running it twice changes nothing.
    /// </summary>
    public static string Script(string schema = "tidings") => string.Join(";\n\n", Statements(schema)) + ";\n";

    /// <summary>The script's statements, one per command (a command carries one statement).</summary>
    internal static string[] Statements(string schema)
    {
        var s = Quote(schema);
        return
        [
            $"CREATE SCHEMA IF NOT EXISTS {s}",
            $"CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer NOT NULL)",
            $"""
            -- Messages waiting to leave, committed with the business data that caused them.
            CREATE TABLE IF NOT EXISTS {s}.outbox (
                seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                {OutgoingColumns.Definitions},
                -- Reserved for the committing process (or a relay) until then; anyone's relay may take it after.
                claimed_until    timestamptz NOT NULL DEFAULT '-infinity'
            )
            """,
            $"CREATE INDEX IF NOT EXISTS outbox_claimable ON {s}.outbox (claimed_until, seq)",
            $"""
            -- The messages each endpoint has handled: a redelivered one is recognised and skipped.
            CREATE TABLE IF NOT EXISTS {s}.inbox (
                endpoint   text        NOT NULL,
                message_id uuid        NOT NULL,
                handled_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (endpoint, message_id)
            )
            """,
            $"CREATE INDEX IF NOT EXISTS inbox_handled_at ON {s}.inbox (handled_at)",
            $"""
            -- Version 2. The state of long-running processes (sagas), guarded by a version for concurrent changes.
            CREATE TABLE IF NOT EXISTS {s}.sagas (
                saga_name      text        NOT NULL,
                correlation_id text        NOT NULL,
                data           jsonb       NOT NULL,
                version        bigint      NOT NULL,
                created_at     timestamptz NOT NULL DEFAULT now(),
                updated_at     timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (saga_name, correlation_id)
            )
            """,
            $"""
            -- Version 2. Messages to send later (deadlines); claimed like the outbox, so one instance sends each.
            CREATE TABLE IF NOT EXISTS {s}.schedules (
                id               uuid        PRIMARY KEY,
                due_at           timestamptz NOT NULL,
                {OutgoingColumns.Definitions},
                claimed_until    timestamptz NOT NULL DEFAULT '-infinity'
            )
            """,
            $"CREATE INDEX IF NOT EXISTS schedules_due ON {s}.schedules (due_at)",
            // Version 3. A message the transport refused (no queue receives it yet) is parked: how often, and why.
            // Its claimed_until holds it back until its next try.
            $"ALTER TABLE {s}.outbox ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0",
            $"ALTER TABLE {s}.outbox ADD COLUMN IF NOT EXISTS last_error text NULL",
            $"CREATE INDEX IF NOT EXISTS outbox_parked ON {s}.outbox (sent_at) WHERE attempts > 0",
            // Version 4. Instances listed by status (inspection, status pages) and completed ones purged.
            $"CREATE INDEX IF NOT EXISTS sagas_status ON {s}.sagas (saga_name, (data->>'status'), correlation_id)",
            $"""
            -- Version 5. The responses of requests made with an idempotency key, committed with the business data.
            CREATE TABLE IF NOT EXISTS {s}.idempotency_keys (
                scope        text        NOT NULL,
                key          text        NOT NULL,
                fingerprint  text        NOT NULL,
                status_code  integer     NOT NULL,
                location     text        NULL,
                content_type text        NULL,
                body         bytea       NOT NULL,
                created_at   timestamptz NOT NULL,
                expires_at   timestamptz NOT NULL,
                PRIMARY KEY (scope, key)
            )
            """,
            $"CREATE INDEX IF NOT EXISTS idempotency_keys_expires ON {s}.idempotency_keys (expires_at)",
            $"""
            -- Version 6. Dead letters moved here from a broker's dead-letter queues, for the operator's list, groups,
            -- replay and purge: what lists and groups read, narrow, so that counting 100,000 of them scans little;
            -- destination is the endpoint they failed on; fingerprint absorbs a broker's redelivery.
            CREATE TABLE IF NOT EXISTS {s}.dead_letters (
                id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                fingerprint      text        NOT NULL UNIQUE,
                dead_lettered_at timestamptz NOT NULL,
                destination      text        NOT NULL,
                reason           text        NOT NULL,
                exception_type   text        NULL,
                user_frame       text        NULL,
                message_id       uuid        NOT NULL,
                message_name     text        NOT NULL
            )
            """,
            $"""
            -- Version 6. The rest of each dead letter (its headers hold the exception's stack), read one page at a time.
            CREATE TABLE IF NOT EXISTS {s}.dead_letter_contents (
                id               bigint      PRIMARY KEY,
                correlation_id   text        NULL,
                causation_id     text        NULL,
                sent_at          timestamptz NOT NULL,
                content_type     text        NOT NULL,
                headers          jsonb       NOT NULL,
                body             bytea       NOT NULL
            )
            """,
            $"CREATE INDEX IF NOT EXISTS dead_letters_at ON {s}.dead_letters (dead_lettered_at DESC, id DESC)",
            $"CREATE INDEX IF NOT EXISTS dead_letters_endpoint_at ON {s}.dead_letters (destination, dead_lettered_at DESC, id DESC)",
            $"CREATE INDEX IF NOT EXISTS dead_letters_group ON {s}.dead_letters (destination, reason, exception_type, user_frame)",
            $"INSERT INTO {s}.schema_version (version) SELECT {Version} WHERE NOT EXISTS (SELECT 1 FROM {s}.schema_version)",
            $"UPDATE {s}.schema_version SET version = {Version} WHERE version < {Version}",
        ];
    }

    /// <summary>
    /// The Tidings schema version of <paramref name="schema"/> in the database <paramref name="dataSource"/> reaches: 0 if
    /// it has no Tidings tables. For tools, which read a service's store and must not create or migrate it.
    /// </summary>
    public static async Task<int> GetVersionAsync(NpgsqlDataSource dataSource, string schema = "tidings", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await CurrentVersionAsync(connection, schema, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            $"SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE 1 END", connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = Quote(schema) + ".schema_version" } },
        };
        await using (command.ConfigureAwait(false))
        {
            if ((int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
            {
                return 0;
            }
        }

        var version = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Quote(schema)}.schema_version", connection);
        await using (version.ConfigureAwait(false))
        {
            return (int)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <summary>Runs <see cref="Script"/> under a transaction-scoped advisory lock, so instances starting together take turns.</summary>
    internal static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);

        // Up to date: no DDL at all. Even CREATE INDEX IF NOT EXISTS takes a table lock, and would wait for every open
        // transaction of the running instances.
        if (await CurrentVersionAsync(connection, schema, cancellationToken).ConfigureAwait(false) >= Version)
        {
            return;
        }

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtext('tidings-migrate:' || $1))") { Parameters = { new NpgsqlParameter<string> { TypedValue = schema } } },
            },
        };
        foreach (var statement in Statements(schema))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
        }

        await using (batch.ConfigureAwait(false))
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The schema name, checked and quoted: it goes into SQL text, so only plain identifiers are accepted.</summary>
    internal static string Quote(string schema)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        if (!Identifier().IsMatch(schema))
        {
            throw new ArgumentException($"Schema name '{schema}' must be a plain identifier (letters, digits, underscores; 63 at most).", nameof(schema));
        }

        return "\"" + schema + "\"";
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
