using System.Text.Json;
using Tidings.Cli.Tests.Support;
using Tidings.Sqlite;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Cli.Tests;

/// <summary>
/// The tidings tool as a process on a SQLite bus file with ten dead letters in two failure groups: its tables for
/// people, its JSON for scripts, its exit codes, and the confirmation before a replay or purge.
/// </summary>
public sealed class DeadLetterCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private string Bus => _directory.File("bus.db");

    public async ValueTask InitializeAsync() => await DeadLetterFill.IntoBusFileAsync(Bus, 10);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Groups_are_a_table_for_people_and_json_for_scripts()
    {
        var table = await Tool("dead-letters", "groups", "--bus", Bus);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(DeadLetterFill.DeclinedGroup, table.Out, StringComparison.Ordinal);
        Assert.Contains(DeadLetterFill.NoMilkGroup, table.Out, StringComparison.Ordinal);
        Assert.Contains("Billing.CardDeclinedException", table.Out, StringComparison.Ordinal);
        Assert.Contains("2 failure groups, 10 dead letters", table.Out, StringComparison.Ordinal);

        var json = await Json("dead-letters", "groups", "--bus", Bus, "--json");
        Assert.Equal(10, json.GetProperty("dead_letters").GetInt64());
        var groups = json.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("id").GetString()!);
        Assert.Equal(5, groups[DeadLetterFill.DeclinedGroup].GetProperty("count").GetInt64());
        Assert.Equal(5, groups[DeadLetterFill.NoMilkGroup].GetProperty("count").GetInt64());
        Assert.StartsWith("Billing.Gateway.ChargeAsync", groups[DeadLetterFill.DeclinedGroup].GetProperty("user_frame").GetString(), StringComparison.Ordinal);
        Assert.Equal(["work"], groups[DeadLetterFill.NoMilkGroup].GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task The_list_pages_newest_first_and_show_reads_one_whole()
    {
        var first = await Json("dead-letters", "list", "--bus", Bus, "--limit", "4", "--json");
        var next = first.GetProperty("next").GetString();
        Assert.NotNull(next);
        var rest = await Json("dead-letters", "list", "--bus", Bus, "--limit", "10", "--after", next, "--json");
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);
        var items = first.GetProperty("items").EnumerateArray().Concat(rest.GetProperty("items").EnumerateArray()).ToList();
        Assert.Equal(10, items.Select(i => i.GetProperty("id").GetString()).Distinct().Count());
        var times = items.Select(i => i.GetProperty("dead_lettered_at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);

        var id = items[0].GetProperty("id").GetString()!;
        var shown = await Json("dead-letters", "show", id, "--bus", Bus, "--json");
        Assert.Equal("{\"seq\":0}", shown.GetProperty("body").GetString());
        Assert.Equal(5, shown.GetProperty("attempts").GetInt32());
        Assert.Equal("work", shown.GetProperty("headers").GetProperty(TidingsHeaders.SourceQueue).GetString());
        Assert.Contains("Billing.Gateway.ChargeAsync", shown.GetProperty("exception").GetString(), StringComparison.Ordinal);

        var table = await Tool("dead-letters", "show", id, "--bus", Bus);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("Headers", table.Out, StringComparison.Ordinal);
        Assert.Contains("\"seq\": 0", table.Out, StringComparison.Ordinal);
        Assert.Contains("card declined for order 0", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_asks_first_and_no_for_an_answer_changes_nothing()
    {
        var declined = await ToolWithInput("n\n", "dead-letters", "replay", "--group", DeadLetterFill.DeclinedGroup, "--bus", Bus);
        Assert.True(declined.ExitCode == ExitCodes.NotConfirmed, declined.ToString());
        Assert.Contains("Replay 5 dead letters to the queues they failed in? [y/N]", declined.Error, StringComparison.Ordinal);
        Assert.Contains("Not confirmed: nothing was replayed", declined.Error, StringComparison.Ordinal);
        Assert.Equal(10, (await Json("dead-letters", "groups", "--bus", Bus, "--json")).GetProperty("dead_letters").GetInt64());

        var before = await Json("dead-letters", "list", "--bus", Bus, "--group", DeadLetterFill.DeclinedGroup, "--json");
        var ids = before.GetProperty("items").EnumerateArray().Select(i => Guid.Parse(i.GetProperty("message_id").GetString()!)).ToHashSet();
        var confirmed = await ToolWithInput("y\n", "dead-letters", "replay", "--group", DeadLetterFill.DeclinedGroup, "--bus", Bus);
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Contains("Replayed 5 dead letters to the queues they failed in.", confirmed.Out, StringComparison.Ordinal);

        var groups = (await Json("dead-letters", "groups", "--bus", Bus, "--json")).GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(DeadLetterFill.NoMilkGroup, Assert.Single(groups).GetProperty("id").GetString());
        await using var transport = new SqliteTransport(new SqliteTransportOptions { Path = Bus });
        await using var work = transport.CreateReceiver(DeadLetterFill.Endpoint, new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var replayed = await work.ReceiveWithin(TimeSpan.FromSeconds(5), 20);
        Assert.Equal(ids, replayed.Select(m => m.Envelope.MessageId).ToHashSet());
        Assert.All(replayed, m => Assert.Equal("1", m.Envelope.Headers[TidingsHeaders.ReplayCount]));
    }

    [Fact]
    public async Task A_purge_with_yes_removes_what_it_selected_and_says_how_many()
    {
        var purged = await Json("dead-letters", "purge", "--group", DeadLetterFill.NoMilkGroup, "--bus", Bus, "--yes", "--json");
        Assert.Equal(5, purged.GetProperty("purged").GetInt64());
        var list = await Json("dead-letters", "list", "--bus", Bus, "--json");
        var left = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(5, left.Count);
        Assert.All(left, i => Assert.Equal(DeadLetterFill.DeclinedGroup, i.GetProperty("group").GetString()));

        var one = left[2].GetProperty("id").GetString()!;
        var byId = await Tool("dead-letters", "purge", one, "--bus", Bus, "--yes");
        Assert.True(byId.ExitCode == 0, byId.ToString());
        Assert.Contains("Purged 1 dead letter.", byId.Out, StringComparison.Ordinal);
        Assert.Equal(4, (await Json("dead-letters", "groups", "--bus", Bus, "--json")).GetProperty("dead_letters").GetInt64());

        var unconfirmed = await Tool("dead-letters", "purge", "--all", "--bus", Bus);
        Assert.True(unconfirmed.ExitCode == ExitCodes.NotConfirmed, unconfirmed.ToString());
        Assert.Equal(4, (await Json("dead-letters", "groups", "--bus", Bus, "--json")).GetProperty("dead_letters").GetInt64());
    }

    [Theory]
    [InlineData(ExitCodes.Usage, "Which bus?", "dead-letters", "list")]
    [InlineData(ExitCodes.Usage, "Say which dead letters", "dead-letters", "purge", "--bus", "{bus}", "--yes")]
    [InlineData(ExitCodes.Usage, "frobnicate", "dead-letters", "list", "--bus", "{bus}", "--frobnicate")]
    [InlineData(ExitCodes.Usage, "--since and --until", "dead-letters", "list", "--bus", "{bus}", "--since", "yesterday-ish")]
    [InlineData(ExitCodes.Unreachable, "No bus file at", "dead-letters", "list", "--bus", "{dir}/nothing-here.db")]
    [InlineData(ExitCodes.NotFound, "No queue 'kitchen'", "dead-letters", "list", "--bus", "{bus}", "--endpoint", "kitchen")]
    [InlineData(ExitCodes.NotFound, "No dead letter '999999'", "dead-letters", "show", "999999", "--bus", "{bus}")]
    [InlineData(ExitCodes.NotFound, "No dead letter 'not-an-id'", "dead-letters", "replay", "not-an-id", "--bus", "{bus}", "--yes")]
    [InlineData(ExitCodes.NotFound, "No failure group 'abcdef123456'", "dead-letters", "replay", "--group", "abcdef123456", "--bus", "{bus}", "--yes")]
    [InlineData(ExitCodes.Unreachable, "Cannot reach RabbitMQ at 127.0.0.1:1", "dead-letters", "list", "--rabbitmq", "amqp://guest:guest@127.0.0.1:1/", "--postgres", "Host=127.0.0.1;Port=1")]
    [InlineData(ExitCodes.Usage, "On RabbitMQ the dead letters are kept in a service's store", "dead-letters", "list", "--rabbitmq", "amqp://guest:guest@127.0.0.1/")]
    [InlineData(ExitCodes.Usage, "ConnectionStrings:cashier-db", "dead-letters", "list", "--rabbitmq", "amqp://guest:guest@127.0.0.1/", "--service", "cashier")]
    public async Task A_mistake_gets_one_line_and_an_exit_code_scripts_can_rely_on(int code, string says, params string[] args)
    {
        var result = await Tool(args.Select(a => a.Replace("{bus}", Bus, StringComparison.Ordinal).Replace("{dir}", _directory.Path, StringComparison.Ordinal)).ToArray());
        Assert.True(result.ExitCode == code, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tidings: ", line, StringComparison.Ordinal);
        Assert.Contains(says, line, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task The_connection_comes_from_an_appsettings_file_or_the_environment_as_the_services_name_it()
    {
        var settings = _directory.File("appsettings.json");
        await File.WriteAllTextAsync(settings, JsonSerializer.Serialize(new { ConnectionStrings = new { bus = Bus } }), TestContext.Current.CancellationToken);
        var fromFile = await Json("dead-letters", "groups", "--settings", settings, "--json");
        Assert.Equal(10, fromFile.GetProperty("dead_letters").GetInt64());

        var fromEnvironment = await ToolProcess.RunAsync(null, new Dictionary<string, string> { ["ConnectionStrings__bus"] = $"Data Source={Bus}" },
            "dead-letters", "groups", "--json");
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Equal(10, JsonDocument.Parse(fromEnvironment.Out).RootElement.GetProperty("dead_letters").GetInt64());
    }

    private static Task<ToolResult> Tool(params string[] args) => ToolProcess.RunAsync(null, args);

    private static Task<ToolResult> ToolWithInput(string input, params string[] args) => ToolProcess.RunAsync(input, args);

    private static async Task<JsonElement> Json(params string[] args)
    {
        var result = await Tool(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement.Clone();
    }
}
