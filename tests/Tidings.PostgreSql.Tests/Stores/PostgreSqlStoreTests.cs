using Npgsql;
using Tidings.PostgreSql.Tests.Support;
using Tidings.Stores;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Stores;

/// <summary>What the PostgreSQL store adds: several instances of one service on one database, schemas and migrations.</summary>
public sealed class PostgreSqlStoreTests : IAsyncDisposable
{
    private readonly List<PostgreSqlStore> _stores = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_relays_on_one_database_never_take_the_same_message()
    {
        var schema = Database.NewSchema();
        var writer = Store(schema);
        var committed = new List<OutboxEntry>();
        await using (var transaction = await writer.BeginAsync(Ct))
        {
            committed.AddRange(await new PostgreSqlOutboxStore(writer).AddAsync(transaction,
                Enumerable.Range(0, 300).Select(i => new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope(body: i.ToString()))).ToList(), Ct));
            await transaction.CommitAsync(Ct);
        }

        // Two instances' relays, each reserving what it takes for longer than the test runs.
        var relays = new[] { Store(schema, TimeSpan.FromMinutes(5)), Store(schema, TimeSpan.FromMinutes(5)) };
        var taken = await Task.WhenAll(relays.Select(async relay =>
        {
            var outbox = new PostgreSqlOutboxStore(relay);
            var mine = new List<long>();
            while (await outbox.FetchAsync(20, Ct) is { Count: > 0 } batch)
            {
                Assert.Equal(batch.Select(e => e.Sequence).Order(), batch.Select(e => e.Sequence));
                mine.AddRange(batch.Select(e => e.Sequence));
            }

            return mine;
        }));

        Assert.Empty(taken[0].Intersect(taken[1]));
        Assert.Equal(committed.Select(e => e.Sequence).Order(), taken.SelectMany(t => t).Order());
    }

    [Fact]
    public async Task A_committed_message_is_reserved_for_its_committer_then_any_relay_takes_it()
    {
        var schema = Database.NewSchema();
        var store = Store(schema, TimeSpan.FromMinutes(1));
        var outbox = new PostgreSqlOutboxStore(store);
        await using (var transaction = await store.BeginAsync(Ct))
        {
            await outbox.AddAsync(transaction, [new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope())], Ct);
            await transaction.CommitAsync(Ct);
        }

        // The committing process sends it right after the commit; a relay must not race it...
        Assert.Empty(await outbox.FetchAsync(10, Ct));

        // ...but if that process died, the reservation runs out (the minute passes) and a relay delivers it, once.
        await using (var transaction = await store.BeginAsync(Ct))
        {
            await using var age = transaction.CreateCommand($"UPDATE \"{schema}\".outbox SET claimed_until = claimed_until - interval '61 seconds'");
            await age.ExecuteNonQueryAsync(Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Single(await outbox.FetchAsync(10, Ct));
        Assert.Empty(await outbox.FetchAsync(10, Ct));
    }

    [Fact]
    public async Task A_message_whose_send_failed_is_released_to_the_relays_at_once()
    {
        var store = Store(Database.NewSchema(), TimeSpan.FromMinutes(5));
        var outbox = new PostgreSqlOutboxStore(store);
        IReadOnlyList<OutboxEntry> added;
        await using (var transaction = await store.BeginAsync(Ct))
        {
            added = await outbox.AddAsync(transaction, [new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope())], Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Empty(await outbox.FetchAsync(10, Ct));
        await outbox.ReleaseAsync(added, Ct);

        Assert.Equal(added.Select(e => e.Sequence), (await outbox.FetchAsync(10, Ct)).Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_release_wakes_the_relay_of_every_instance_at_once()
    {
        var schema = Database.NewSchema();
        var (committer, other) = (Store(schema, TimeSpan.FromMinutes(5)), Store(schema, TimeSpan.FromMinutes(5)));
        var outbox = new PostgreSqlOutboxStore(committer);
        var released = new PostgreSqlOutboxStore(other).Released!;
        await released.Ticket.WaitAsync(TimeSpan.FromSeconds(10), Ct); // listening (it wakes the relay once when it starts)

        // A listener of our own on the relays' channel and on a marker channel: notifications arrive in commit order, so
        // a marker notified after the commit arrives after anything the commit notified.
        var (channel, markers) = (OutboxReleaseListener.ChannelFor(schema), "marker_" + schema);
        await using var listener = await Database.OpenAsync();
        var heard = new List<string>();
        listener.Notification += (_, e) => heard.Add(e.Channel);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"; LISTEN \"{markers}\"", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        var ticket = released.Ticket;
        IReadOnlyList<OutboxEntry> added;
        await using (var transaction = await committer.BeginAsync(Ct))
        {
            added = await outbox.AddAsync(transaction, [new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope())], Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var marker = await Database.OpenAsync())
        await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, '')", marker) { Parameters = { new NpgsqlParameter<string> { TypedValue = markers } } })
        {
            await notify.ExecuteNonQueryAsync(Ct);
        }

        while (!heard.Contains(markers))
        {
            await listener.WaitAsync(Ct);
        }

        Assert.Equal([markers], heard); // a commit wakes no one: its committer sends the message itself
        Assert.False(ticket.IsCompleted);

        await outbox.ReleaseAsync(added, Ct);
        await ticket.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Single(await new PostgreSqlOutboxStore(other).FetchAsync(10, Ct));
    }

    [Theory]
    [InlineData("tidings")]
    [InlineData("a_schema_name_long_enough_that_the_channel_would_pass_63_bytes_")]
    public void Each_schema_has_a_notification_channel_PostgreSQL_accepts(string schema)
    {
        var channel = OutboxReleaseListener.ChannelFor(schema);
        Assert.InRange(channel.Length, 1, 63);
        Assert.StartsWith("tidings_outbox_", channel, StringComparison.Ordinal);
        Assert.NotEqual(channel, OutboxReleaseListener.ChannelFor(schema + "x"));
    }

    [Fact]
    public async Task The_same_message_on_two_instances_at_once_is_recorded_once()
    {
        var schema = Database.NewSchema();
        var (first, second) = (Store(schema), Store(schema));
        var id = Guid.CreateVersion7();

        await using var one = await first.BeginAsync(Ct);
        Assert.True(await new PostgreSqlInboxStore(first).TryRecordAsync(one, "cashier", id, Ct));

        await using var two = await second.BeginAsync(Ct);
        var racing = new PostgreSqlInboxStore(second).TryRecordAsync(two, "cashier", id, Ct);
        await Database.WaitUntilBlockedAsync(((NpgsqlConnection)two.Connection).ProcessID);
        Assert.False(racing.IsCompleted); // it waits for the first transaction to decide

        await one.CommitAsync(Ct);
        Assert.False(await racing);
    }

    [Fact]
    public async Task Two_batches_recording_the_same_message_at_once_learn_that_only_one_recorded_it()
    {
        var schema = Database.NewSchema();
        var (first, second) = (Store(schema), Store(schema));
        var (shared, own) = (Guid.CreateVersion7(), Guid.CreateVersion7());

        await using var one = await first.BeginAsync(Ct);
        Assert.Empty(await new PostgreSqlInboxStore(first).RecordAsync(one, "cashier", [Guid.CreateVersion7(), shared], Ct));

        await using var two = await second.BeginAsync(Ct);
        var racing = new PostgreSqlInboxStore(second).RecordAsync(two, "cashier", [own, shared], Ct);
        await Database.WaitUntilBlockedAsync(((NpgsqlConnection)two.Connection).ProcessID);
        Assert.False(racing.IsCompleted); // it waits for the first transaction to decide

        await one.CommitAsync(Ct);
        Assert.Equal([shared], await racing);
    }

    [Theory]
    [InlineData("Host=db;Database=cashier", 32)]
    [InlineData("Host=db;Database=cashier;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;Database=cashier;MaxAutoPrepare=5", 5)]
    public async Task Connections_prepare_their_most_used_statements_unless_the_connection_string_says_otherwise(string connectionString, int expected)
    {
        await using var store = new PostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = connectionString });
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(store.DataSource.ConnectionString).MaxAutoPrepare);
    }

    [Fact]
    public async Task Migration_is_idempotent_and_safe_when_instances_start_together()
    {
        var schema = Database.NewSchema();
        var stores = Enumerable.Range(0, 4).Select(_ => Store(schema)).ToList();

        await Task.WhenAll(stores.Select(async store => await (await store.BeginAsync(Ct)).DisposeAsync()));
        await using (var again = await Store(schema).BeginAsync(Ct))
        {
            await using var version = again.CreateCommand($"SELECT version FROM \"{schema}\".schema_version");
            Assert.Equal(PostgreSqlSchema.Version, (int)(await version.ExecuteScalarAsync(Ct))!);
            await using var rows = again.CreateCommand($"SELECT count(*) FROM \"{schema}\".schema_version");
            Assert.Equal(1L, (long)(await rows.ExecuteScalarAsync(Ct))!);
        }
    }

    [Fact]
    public async Task A_schema_of_version_1_is_brought_up_to_date_with_the_saga_and_schedule_tables_and_the_parking_columns()
    {
        var schema = Database.NewSchema();
        await using (var transaction = await Store(schema).BeginAsync(Ct))
        {
            await using var downgrade = transaction.CreateCommand(
                $"DROP TABLE \"{schema}\".sagas; DROP TABLE \"{schema}\".schedules; ALTER TABLE \"{schema}\".outbox DROP COLUMN attempts, DROP COLUMN last_error; " +
                $"UPDATE \"{schema}\".schema_version SET version = 1");
            await downgrade.ExecuteNonQueryAsync(Ct);
            await transaction.CommitAsync(Ct);
        }

        var upgraded = Store(schema);
        await using (var transaction = await upgraded.BeginAsync(Ct))
        {
            Assert.Null(await new PostgreSqlSagaStore(upgraded).FindAsync(transaction, "order", "cup-1", Ct));
            Assert.Equal(ParkedMessages.None, await new PostgreSqlOutboxStore(upgraded).CountParkedAsync(Ct));
            await using var version = transaction.CreateCommand($"SELECT version FROM \"{schema}\".schema_version");
            Assert.Equal(PostgreSqlSchema.Version, (int)(await version.ExecuteScalarAsync(Ct))!);
        }
    }

    [Fact]
    public async Task Two_instances_never_take_the_same_due_message()
    {
        var schema = Database.NewSchema();
        var (one, two) = (new PostgreSqlScheduleStore(Store(schema, TimeSpan.FromMinutes(1))), new PostgreSqlScheduleStore(Store(schema, TimeSpan.FromMinutes(1))));
        await using (var transaction = await Store(schema).BeginAsync(Ct))
        {
            for (var i = 0; i < 200; i++)
            {
                await one.ScheduleAsync(transaction, new ScheduledMessage(Guid.CreateVersion7(), DateTimeOffset.UtcNow.AddSeconds(-1),
                    new OutgoingMessage(Destination.Queue("q"), TestMessages.Envelope())), Ct);
            }

            await transaction.CommitAsync(Ct);
        }

        var taken = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? one : two).FetchDueAsync(15, Ct)));
        var ids = taken.SelectMany(t => t).Select(d => d.Id).ToList();
        ids.AddRange((await two.FetchDueAsync(200, Ct)).Select(d => d.Id)); // whatever the racing fetches skipped
        Assert.Equal(200, ids.Count);
        Assert.Equal(200, ids.Distinct().Count());
    }

    [Fact]
    public async Task Teams_that_run_their_own_migrations_get_the_script_and_Tidings_leaves_the_schema_alone()
    {
        var schema = Database.NewSchema();
        var store = Store(schema, migrate: false);
        var outbox = new PostgreSqlOutboxStore(store);

        var missing = await Assert.ThrowsAsync<PostgresException>(() => outbox.FetchAsync(1, Ct));
        Assert.Equal(PostgresErrorCodes.UndefinedTable, missing.SqlState);

        await using (var connection = await store.DataSource.OpenConnectionAsync(Ct))
        await using (var script = new NpgsqlCommand(PostgreSqlSchema.Script(schema), connection))
        {
            await script.ExecuteNonQueryAsync(Ct);
            await script.ExecuteNonQueryAsync(Ct);
        }

        Assert.Empty(await outbox.FetchAsync(1, Ct));
    }

    [Fact]
    public void A_schema_name_that_is_not_a_plain_identifier_is_refused() =>
        Assert.Throws<ArgumentException>(() => new PostgreSqlStore(new PostgreSqlStoreOptions { ConnectionString = Database.ConnectionString, Schema = "x; DROP TABLE y" }));

    private PostgreSqlStore Store(string schema, TimeSpan? claim = null, bool migrate = true)
    {
        var store = new PostgreSqlStore(Database.Options(schema, claim) with { MigrateOnStart = migrate });
        _stores.Add(store);
        return store;
    }
}
