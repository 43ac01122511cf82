using System.Text;
using System.Text.Json;
using Tidings.Cli.Tests.Support;
using Tidings.Sqlite;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Cli.Tests;

/// <summary>
/// The tool's queues, outbox, scheduled and sagas commands as processes, on a SQLite bus file and a service's SQLite
/// database holding a backlog, parked outbox messages, scheduled messages and saga instances.
/// </summary>
public sealed class StoreCommandTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow.AddMinutes(-5);
    private readonly TempDirectory _directory = new();
    private readonly List<Guid> _schedules = [];

    private string Bus => _directory.File("bus.db");

    private string Db => _directory.File("cashier.db");

    public async ValueTask InitializeAsync()
    {
        await DeadLetterFill.IntoBusFileAsync(Bus, 4);
        await using (var transport = new SqliteTransport(new SqliteTransportOptions { Path = Bus }))
        {
            await transport.SendAsync([.. Enumerable.Range(0, 2).Select(i => new OutgoingMessage(Destination.Queue(DeadLetterFill.Endpoint), DeadLetterFill.Failed(100 + i)))], Ct);
        }

        var store = new SqliteStore(new SqliteStoreOptions { Path = Db });
        var outbox = new SqliteOutboxStore(store);
        var schedules = new SqliteScheduleStore(store);
        var sagas = new SqliteSagaStore(store);
        await using (var transaction = await store.BeginAsync(Ct))
        {
            await outbox.AddAsync(transaction, [ToKitchen("a"), ToKitchen("b"), ToKitchen("c")], Ct);
            foreach (var hours in new[] { 2, 1 })
            {
                var id = Guid.CreateVersion7();
                _schedules.Insert(0, id);
                await schedules.ScheduleAsync(transaction, new ScheduledMessage(id, DateTimeOffset.UtcNow.AddHours(hours), ToKitchen($"in {hours} h")), Ct);
            }

            await sagas.InsertAsync(transaction, "order", "o-1", Saga("active"), Ct);
            await sagas.InsertAsync(transaction, "order", "o-2", Saga("completed"), Ct);
            await transaction.CommitAsync(Ct);
        }

        var staged = await outbox.FetchAsync(10, Ct);
        await outbox.ParkAsync(staged.Take(2).ToList(), "no queue 'kitchen'", new OutboxBackoff(TimeSpan.FromHours(1), TimeSpan.FromHours(1)), Ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Queues_show_what_waits_and_what_is_dead_lettered()
    {
        var json = await Json("queues", "--bus", Bus, "--json");
        var work = Assert.Single(json.GetProperty("queues").EnumerateArray());
        Assert.Equal("work", work.GetProperty("queue").GetString());
        Assert.Equal(2, work.GetProperty("depth").GetInt64());
        Assert.Equal(0, work.GetProperty("in_flight").GetInt64());
        Assert.Equal(4, work.GetProperty("dead_letters").GetInt64());
        Assert.Equal(JsonValueKind.Null, work.GetProperty("consumers").ValueKind);

        var table = await Tool("queues", "--bus", Bus);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("work", table.Out, StringComparison.Ordinal);
        Assert.Contains("Dead letters", table.Out, StringComparison.Ordinal);

        var unknown = await Tool("queues", "--bus", Bus, "--queue", "kitchen");
        Assert.True(unknown.ExitCode == ExitCodes.NotFound, unknown.ToString());
        Assert.Contains("No queue 'kitchen'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_outbox_shows_its_backlog_and_its_parked_messages_with_why_which_are_retried_and_purged()
    {
        var json = await Json("outbox", "--db", Db, "--json");
        Assert.Equal(3, json.GetProperty("outbox").GetProperty("backlog").GetInt64());
        var parked = json.GetProperty("parked");
        Assert.Equal(2, parked.GetProperty("count").GetInt64());
        var messages = parked.GetProperty("messages").EnumerateArray().ToList();
        Assert.All(messages, m => Assert.Equal("no queue 'kitchen'", m.GetProperty("last_error").GetString()));
        Assert.Equal(2, json.GetProperty("scheduled").GetProperty("pending").GetInt64());

        var table = await Tool("outbox", "--db", Db);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("no queue 'kitchen'", table.Out, StringComparison.Ordinal);
        Assert.Contains("2 refused by the transport", table.Out, StringComparison.Ordinal);

        var first = messages[0].GetProperty("sequence").GetInt64();
        var declined = await ToolProcess.RunAsync("no\n", "outbox", "retry", first.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", Db);
        Assert.True(declined.ExitCode == ExitCodes.NotConfirmed, declined.ToString());
        var retried = await Json("outbox", "retry", first.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", Db, "--yes", "--json");
        Assert.Equal(1, retried.GetProperty("retried").GetInt64());
        var purged = await Json("outbox", "purge", "--all", "--db", Db, "--yes", "--json");
        Assert.Equal(1, purged.GetProperty("purged").GetInt64());

        var after = await Json("outbox", "--db", Db, "--json");
        Assert.Equal(0, after.GetProperty("parked").GetProperty("count").GetInt64());
        Assert.Equal(2, after.GetProperty("outbox").GetProperty("backlog").GetInt64());
        var gone = await Tool("outbox", "purge", "12345", "--db", Db, "--yes");
        Assert.True(gone.ExitCode == ExitCodes.NotFound, gone.ToString());
    }

    [Fact]
    public async Task Scheduled_messages_are_listed_soonest_first_and_one_is_cancelled()
    {
        var json = await Json("scheduled", "list", "--db", Db, "--json");
        var items = json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(_schedules, items.Select(i => i.GetProperty("id").GetGuid()));
        Assert.All(items, i => Assert.Equal("kitchen", i.GetProperty("destination").GetString()));

        var cancelled = await Tool("scheduled", "cancel", _schedules[0].ToString(), "--db", Db, "--yes");
        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        Assert.Contains("it will not be sent", cancelled.Out, StringComparison.Ordinal);
        Assert.Equal([_schedules[1]], (await Json("scheduled", "list", "--db", Db, "--json")).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));

        var again = await Tool("scheduled", "cancel", _schedules[0].ToString(), "--db", Db, "--yes");
        Assert.True(again.ExitCode == ExitCodes.NotFound, again.ToString());
    }

    [Fact]
    public async Task Sagas_are_counted_by_status_listed_and_shown()
    {
        var counts = (await Json("sagas", "list", "--db", Db, "--json")).GetProperty("sagas").EnumerateArray()
            .ToDictionary(s => s.GetProperty("status").GetString()!, s => s.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["active"] = 1, ["completed"] = 1 }, counts);

        var active = await Json("sagas", "list", "order", "--status", "active", "--db", Db, "--json");
        Assert.Equal("o-1", Assert.Single(active.GetProperty("items").EnumerateArray()).GetProperty("correlation_id").GetString());

        var shown = await Json("sagas", "show", "order", "o-2", "--db", Db, "--json");
        Assert.Equal("completed", shown.GetProperty("summary").GetProperty("status").GetString());
        Assert.Equal(2, shown.GetProperty("state").GetProperty("cups").GetInt32());
        Assert.Equal("order.placed", Assert.Single(shown.GetProperty("history").EnumerateArray()).GetProperty("message_name").GetString());

        var table = await Tool("sagas", "show", "order", "o-2", "--db", Db);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("History", table.Out, StringComparison.Ordinal);
        var missing = await Tool("sagas", "show", "order", "o-9", "--db", Db);
        Assert.True(missing.ExitCode == ExitCodes.NotFound, missing.ToString());
    }

    [Fact]
    public async Task A_store_command_without_a_store_or_with_a_missing_one_says_so_in_one_line()
    {
        var none = await Tool("outbox");
        Assert.True(none.ExitCode == ExitCodes.Usage, none.ToString());
        Assert.Contains("Which store?", none.Error, StringComparison.Ordinal);
        var missing = await Tool("sagas", "list", "--db", _directory.File("nothing.db"));
        Assert.True(missing.ExitCode == ExitCodes.Unreachable, missing.ToString());
        Assert.Contains("No database at", Assert.Single(missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);

        // A database that is not a Tidings store is refused and left as it was: the tool makes no tables in it.
        var other = _directory.File("orders.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=false"))
        {
            await connection.OpenAsync(Ct);
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE orders (id INTEGER PRIMARY KEY)";
            await create.ExecuteNonQueryAsync(Ct);
        }

        var refused = await Tool("outbox", "--db", other);
        Assert.True(refused.ExitCode == ExitCodes.Unreachable, refused.ToString());
        Assert.Contains("has no Tidings tables", refused.Error, StringComparison.Ordinal);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Mode=ReadOnly;Pooling=false"))
        {
            await connection.OpenAsync(Ct);
            await using var tables = connection.CreateCommand();
            tables.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'";
            Assert.Equal("orders", await tables.ExecuteScalarAsync(Ct));
        }
    }

    private static OutgoingMessage ToKitchen(string text) => new(Destination.Queue("kitchen"), new Envelope
    {
        MessageId = Envelope.NewMessageId(), MessageName = "kitchen.make-drink", SentAt = DateTimeOffset.UtcNow, Body = Encoding.UTF8.GetBytes($"{{\"text\":\"{text}\"}}"),
    });

    private static string Saga(string status) => JsonSerializer.Serialize(new
    {
        instanceId = Guid.CreateVersion7(), status, startedAt = Started, updatedAt = Started.AddMinutes(1), state = new { cups = 2 },
        timeouts = new { }, compensations = Array.Empty<object>(), earlierEntries = 0,
        history = new[] { new { at = Started, kind = "started", messageName = "order.placed", messageId = Guid.CreateVersion7() } },
    });

    private static Task<ToolResult> Tool(params string[] args) => ToolProcess.RunAsync(null, args);

    private static async Task<JsonElement> Json(params string[] args)
    {
        var result = await Tool(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement.Clone();
    }
}
