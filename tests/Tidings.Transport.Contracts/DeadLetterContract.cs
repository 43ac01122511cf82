using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TabService;
using Tidings.DeadLetters;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>
/// What <see cref="IDeadLetters"/> promises on every transport, through a running effectively-once endpoint: dead
/// letters listed, filtered and paged, read, grouped, replayed (one, a group, the same message twice) and purged.
/// "Handled once" is proved with a marker sent behind the replays on the same ordered path (one worker).
/// </summary>
public abstract class DeadLetterContract<TFixture> : IAsyncLifetime
    where TFixture : IEffectivelyOnceFixture, new()
{
    private readonly string _cashier = "tabs-" + Guid.NewGuid().ToString("N")[..8];
    private readonly TabGateway _gateway = new();
    private IHost? _host;
    private ITransport? _transport;

    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TimeSpan Patience => TimeSpan.FromSeconds(20);

    private ITransport Transport => _transport ??= Fixture.Connect();

    private IDeadLetters DeadLetters => _host!.Services.GetRequiredService<IDeadLetters>();

    private DeadLetterQuery Mine => new() { Endpoint = _cashier };

    public async ValueTask InitializeAsync()
    {
        await Fixture.ScalarAsync("CREATE TABLE IF NOT EXISTS payments (order_id INTEGER NOT NULL, cents INTEGER NOT NULL)");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_gateway);
        builder.Services.AddTidings(t =>
        {
            Fixture.UseTransport(t);
            Fixture.UseStore(t);
            t.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            t.AddEndpoint(_cashier, e =>
            {
                e.Handle<SettleTab, SettleTabHandler>();
                e.Handle<VoidTab, VoidTabHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = RetryPolicy.None;
                e.Concurrency = 1;
            });
        });
        _host = builder.Build();
        await _host.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        await Fixture.DeleteQueuesAsync(_cashier);
        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Dead_letters_are_listed_newest_first_filtered_and_paged()
    {
        await SendAsync(Tab(1), Tab(2), Tab(3), Closed(4), Closed(5));
        await DeadLettersAsync(5);

        var all = await DeadLetters.ListAsync(Mine, cancellationToken: Ct);
        Assert.Equal(5, all.Items.Count);
        Assert.Null(all.Next);
        DeadLetterAssert.NewestFirst(all.Items);
        Assert.All(all.Items, d => Assert.Equal(_cashier, d.Endpoint));

        Assert.Equal(3, (await DeadLetters.ListAsync(Mine with { ExceptionType = typeof(TabGatewayDownException).FullName }, cancellationToken: Ct)).Items.Count);
        Assert.Equal(2, (await DeadLetters.ListAsync(Mine with { MessageName = "contract.void-tab" }, cancellationToken: Ct)).Items.Count);
        Assert.Equal(5, (await DeadLetters.ListAsync(Mine with { Reason = "handler-failed" }, cancellationToken: Ct)).Items.Count);
        Assert.Empty((await DeadLetters.ListAsync(Mine with { Reason = "saga-not-found" }, cancellationToken: Ct)).Items);
        Assert.Empty((await DeadLetters.ListAsync(Mine with { Since = DateTimeOffset.UtcNow.AddHours(1) }, cancellationToken: Ct)).Items);
        Assert.Equal(5, (await DeadLetters.ListAsync(Mine with { Since = DateTimeOffset.UtcNow.AddHours(-1), Until = DateTimeOffset.UtcNow.AddHours(1) }, cancellationToken: Ct)).Items.Count);
        Assert.Empty((await DeadLetters.ListAsync(new DeadLetterQuery { Endpoint = _cashier + "-other" }, cancellationToken: Ct)).Items);

        var paged = new List<DeadLetter>();
        string? cursor = null;
        do
        {
            var page = await DeadLetters.ListAsync(Mine, limit: 2, after: cursor, cancellationToken: Ct);
            Assert.InRange(page.Items.Count, 1, 2);
            paged.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(all.Items.Select(d => d.Id), paged.Select(d => d.Id));
    }

    [Fact]
    public async Task A_dead_letter_shows_its_headers_body_exception_and_attempts()
    {
        var sent = Tab(7);
        await SendAsync(sent);
        var listed = Assert.Single(await DeadLettersAsync(1));

        var dead = await DeadLetters.GetAsync(listed.Id, Ct);
        Assert.NotNull(dead);
        Assert.Equal(_cashier, dead.Endpoint);
        Assert.Equal(sent.MessageId, dead.Envelope.MessageId);
        Assert.Equal(sent.Body.ToArray(), dead.Envelope.Body.ToArray());
        Assert.Equal("handler-failed", dead.Reason);
        Assert.Equal(typeof(TabGatewayDownException).FullName, dead.ExceptionType);
        Assert.Equal("the card gateway is down (order 7)", dead.ExceptionMessage);
        Assert.Contains(nameof(SettleTabHandler), dead.ExceptionText, StringComparison.Ordinal);
        Assert.Equal(1, dead.Attempts);
        Assert.Equal(0, dead.ReplayCount);
        Assert.NotNull(dead.DeadLetteredAt);
        Assert.Null(await DeadLetters.GetAsync("no-such-dead-letter", Ct));
    }

    [Fact]
    public async Task Failures_are_grouped_by_exception_type_and_user_frame()
    {
        await SendAsync(Tab(1), Closed(2), Tab(3), Tab(4), Closed(5));
        await DeadLettersAsync(5);

        var groups = await DeadLetters.GroupsAsync(Mine, Ct);
        Assert.Equal(2, groups.Count);
        var tabs = groups[0];
        Assert.Equal(3, tabs.Count);
        Assert.Equal(typeof(TabGatewayDownException).FullName, tabs.Key.ExceptionType);
        Assert.Contains($"{nameof(SettleTabHandler)}.{nameof(SettleTabHandler.HandleAsync)}", tabs.Key.UserFrame, StringComparison.Ordinal);
        Assert.Equal([_cashier], tabs.Endpoints);
        Assert.True(tabs.First <= tabs.Last);
        var declined = groups[1];
        Assert.Equal(2, declined.Count);
        Assert.Equal(typeof(InvalidOperationException).FullName, declined.Key.ExceptionType);
        Assert.Contains($"{nameof(VoidTabHandler)}.{nameof(VoidTabHandler.HandleAsync)}", declined.Key.UserFrame, StringComparison.Ordinal);
        Assert.NotEqual(tabs.Id, declined.Id);

        var listed = await DeadLetters.ListAsync(Mine with { Group = tabs.Key }, cancellationToken: Ct);
        Assert.Equal(3, listed.Items.Count);
        Assert.All(listed.Items, d => Assert.Equal(tabs.Key, d.Group));
        Assert.Equal(3, await DeadLetters.CountAsync(Mine with { Group = tabs.Key }, Ct));
    }

    [Fact]
    public async Task A_replayed_message_keeps_its_id_counts_the_replay_and_dead_letters_again_if_it_fails_again()
    {
        var sent = Tab(11);
        await SendAsync(sent);
        var first = Assert.Single(await DeadLettersAsync(1));

        // Still failing: it comes back as a dead letter, its history fresh (one attempt), the replay counted.
        Assert.Equal(new ReplayOutcome(1, 0), await DeadLetters.ReplayAsync(DeadLetterSelection.Of(first.Id), cancellationToken: Ct));
        var second = Assert.Single(await DeadLettersAsync(1, d => d.ReplayCount == 1));
        Assert.Equal(sent.MessageId, second.Envelope.MessageId);
        Assert.Equal(1, second.Attempts);
        Assert.Equal(sent.Body.ToArray(), second.Envelope.Body.ToArray());

        _gateway.Down = false;
        var progress = new List<long>();
        Assert.Equal(new ReplayOutcome(1, 0), await DeadLetters.ReplayAsync(DeadLetterSelection.Of(second.Id), new SyncProgress(progress), Ct));
        Assert.Equal([1L], progress);
        await PaymentsAsync(11, 1);
        Assert.Equal(0, await DeadLetters.CountAsync(Mine, Ct));
        Assert.Null(await DeadLetters.GetAsync(second.Id, Ct));
        Assert.Equal(new ReplayOutcome(0, 0), await DeadLetters.ReplayAsync(DeadLetterSelection.Of(second.Id), cancellationToken: Ct));
    }

    [Fact]
    public async Task A_failure_group_is_replayed_as_a_whole_and_the_rest_stays()
    {
        await SendAsync(Tab(1), Tab(2), Closed(3), Tab(4));
        await DeadLettersAsync(4);
        var tabs = (await DeadLetters.GroupsAsync(Mine, Ct)).Single(g => g.Key.ExceptionType == typeof(TabGatewayDownException).FullName);

        _gateway.Down = false;
        Assert.Equal(new ReplayOutcome(3, 0), await DeadLetters.ReplayAsync(DeadLetterSelection.Matching(Mine with { Group = tabs.Key }), cancellationToken: Ct));

        await PaymentsAsync(1, 1);
        await PaymentsAsync(2, 1);
        await PaymentsAsync(4, 1);
        var left = Assert.Single((await DeadLetters.ListAsync(Mine, cancellationToken: Ct)).Items);
        Assert.Equal("contract.void-tab", left.Envelope.MessageName);
    }

    [Fact]
    public async Task A_group_replayed_while_it_still_fails_is_replayed_once()
    {
        await SendAsync(Tab(31), Tab(32), Tab(33));
        await DeadLettersAsync(3);

        // After its first batch the replay waits until all three have failed again and are dead letters once more: had it
        // no end, its next batch would take them again.
        var failedAgain = new BlockingProgress(() => DeadLettersAsync(3, d => d.ReplayCount == 1));
        Assert.Equal(new ReplayOutcome(3, 0), await DeadLetters.ReplayAsync(DeadLetterSelection.Matching(Mine), failedAgain, Ct));

        var dead = await DeadLettersAsync(3);
        Assert.All(dead, d => Assert.Equal(1, d.ReplayCount));
    }

    [Fact]
    public async Task A_dead_letter_whose_exception_has_no_stack_is_grouped_by_its_type_alone()
    {
        await SendAsync(Json("contract.nobody-handles-this", "{}"), Tab(41));
        await DeadLettersAsync(2);

        var unknown = Assert.Single(await DeadLetters.GroupsAsync(Mine with { Reason = "unknown-message-name" }, Ct));
        Assert.Equal(1, unknown.Count);
        Assert.Equal(typeof(InvalidOperationException).FullName, unknown.Key.ExceptionType);
        Assert.Null(unknown.Key.UserFrame);
        var listed = Assert.Single((await DeadLetters.ListAsync(Mine with { Group = unknown.Key }, cancellationToken: Ct)).Items);
        Assert.Equal("contract.nobody-handles-this", listed.Envelope.MessageName);

        Assert.Equal(1, await DeadLetters.PurgeAsync(DeadLetterSelection.Matching(Mine with { Group = unknown.Key }), cancellationToken: Ct));
        Assert.Equal("contract.settle-tab", Assert.Single((await DeadLetters.ListAsync(Mine, cancellationToken: Ct)).Items).Envelope.MessageName);
    }

    [Fact]
    public async Task The_same_message_replayed_twice_is_handled_once()
    {
        var twice = Tab(21);
        await SendAsync(twice, twice);
        await DeadLettersAsync(2);

        _gateway.Down = false;
        Assert.Equal(new ReplayOutcome(2, 0), await DeadLetters.ReplayAsync(DeadLetterSelection.Matching(Mine), cancellationToken: Ct));

        // The replays are in the queue (a replay through the outbox has left it) before the marker: one worker takes
        // them in that order, so when the marker's payment exists, both replays were handled.
        await Effects.WaitForAsync(async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM {Fixture.Tables.Outbox}") == 0, Patience, () => "the replays stay in the outbox");
        await SendAsync(Tab(22));
        await PaymentsAsync(22, 1);
        Assert.Equal(1, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments WHERE order_id = 21"));
        Assert.Equal(0, await DeadLetters.CountAsync(Mine, Ct));
    }

    [Fact]
    public async Task Purge_deletes_one_or_a_selection_for_good()
    {
        await SendAsync(Tab(1), Tab(2), Closed(3));
        var dead = await DeadLettersAsync(3);

        Assert.Equal(1, await DeadLetters.PurgeAsync(DeadLetterSelection.Of(dead[0].Id), cancellationToken: Ct));
        Assert.Null(await DeadLetters.GetAsync(dead[0].Id, Ct));
        Assert.Equal(2, await DeadLetters.CountAsync(Mine, Ct));

        Assert.Equal(2, await DeadLetters.PurgeAsync(DeadLetterSelection.Matching(Mine), cancellationToken: Ct));
        Assert.Equal(0, await DeadLetters.CountAsync(Mine, Ct));
        Assert.Equal(0, await DeadLetters.PurgeAsync(DeadLetterSelection.Matching(Mine), cancellationToken: Ct));
        Assert.Equal(0, await Fixture.ScalarAsync("SELECT COUNT(*) FROM payments"));
    }

    /// <summary>Waits until the endpoint has <paramref name="count"/> dead letters (that <paramref name="where"/> holds for); returns them.</summary>
    private async Task<IReadOnlyList<DeadLetter>> DeadLettersAsync(int count, Func<DeadLetter, bool>? where = null)
    {
        List<DeadLetter> items = [];
        await Effects.WaitForAsync(async () =>
        {
            items = (await DeadLetters.ListAsync(Mine, limit: 100, cancellationToken: Ct)).Items.Where(where ?? (_ => true)).ToList();
            return items.Count >= count;
        }, Patience, () => $"{items.Count} of {count} dead letters arrived");
        Assert.Equal(count, items.Count);
        return items;
    }

    private Task PaymentsAsync(int orderId, long count) => Effects.WaitForAsync(
        async () => await Fixture.ScalarAsync($"SELECT COUNT(*) FROM payments WHERE order_id = {orderId}") == count, Patience,
        () => $"order {orderId} was not paid {count} time(s)");

    private Task SendAsync(params Envelope[] envelopes) =>
        Transport.SendAsync(envelopes.Select(e => new OutgoingMessage(Destination.Queue(_cashier), e)).ToList(), Ct);

    private static Envelope Tab(int orderId) => Json("contract.settle-tab", $"{{\"orderId\":{orderId}}}");

    private static Envelope Closed(int orderId) => Json("contract.void-tab", $"{{\"orderId\":{orderId}}}");

    private static Envelope Json(string name, string json) => new()
    {
        MessageId = Envelope.NewMessageId(),
        MessageName = name,
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes(json),
    };

    /// <summary>Holds the replay at its first report until <paramref name="until"/> is done.</summary>
    private sealed class BlockingProgress(Func<Task> until) : IProgress<long>
    {
        private int _reports;

        public void Report(long value)
        {
            if (Interlocked.Increment(ref _reports) == 1)
            {
                until().GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Records reports as they are made (<see cref="Progress{T}"/> posts them later, to the thread pool).</summary>
    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
