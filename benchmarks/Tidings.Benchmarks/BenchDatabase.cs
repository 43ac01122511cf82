using Npgsql;
using Tidings.PostgreSql;

namespace Tidings.Benchmarks;

/// <summary>The benchmark's PostgreSQL database: created if missing; a fresh business table for every run.</summary>
internal static class BenchDatabase
{
    public const string Schema = "tidings_bench";

    public static async Task PrepareAsync(PostgreSqlStore store)
    {
        await CreateDatabaseIfMissingAsync(store.Options.ConnectionString);
        await using (var transaction = await store.BeginAsync())
        {
            // The first unit of work creates Tidings' tables; the run starts with an empty outbox and inbox.
            await using var reset = transaction.CreateCommand(
                $"TRUNCATE {Schema}.outbox, {Schema}.inbox; DROP TABLE IF EXISTS {Schema}.bench_effects; CREATE TABLE {Schema}.bench_effects (seq bigint NOT NULL)");
            await reset.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
    }

    private static async Task CreateDatabaseIfMissingAsync(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = target.Database } } };
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{target.Database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
    }
}
