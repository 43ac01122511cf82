using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Sqlite.Tests.Support;

namespace Tidings.Sqlite.Tests.Stores;

[MessageName("sqlite-test.brew")]
public sealed record Brew(int Cup);

/// <summary>
/// Lets every handler through only once <see cref="Expected"/> of them are inside at the same time: if one service's
/// effectively-once handlers ran one at a time, the first would wait here for ever (the test times out).
/// </summary>
public sealed class Rendezvous
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inside;

    public int Expected { get; init; } = 4;

    public bool ReadFirst { get; init; }

    public bool Met => _all.Task.IsCompleted;

    public Task ArriveAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _inside) >= Expected)
        {
            _all.TrySetResult();
        }

        return _all.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>Reads the cups table (if asked), meets the other handlers, then writes its cup: the slow work first, then the write.</summary>
public sealed class BrewHandler(Rendezvous rendezvous) : IHandleMessages<Brew>
{
    public async Task HandleAsync(Brew message, IMessageContext context, CancellationToken cancellationToken)
    {
        var transaction = (SqliteTransaction)context.Transaction!;
        if (rendezvous.ReadFirst)
        {
            using var read = transaction.Connection!.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = "SELECT COUNT(*) FROM cups";
            read.ExecuteScalar();
        }

        // Once met, a handler run again (its batch started over) goes straight on.
        await rendezvous.ArriveAsync(cancellationToken);
        using var write = transaction.Connection!.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = "INSERT INTO cups (cup) VALUES ($cup)";
        write.Parameters.AddWithValue("$cup", message.Cup);
        write.ExecuteNonQuery();
    }
}

/// <summary>Effectively-once handlers on SQLite run side by side up to their first write, in one host and across hosts.</summary>
public sealed class ConcurrentHandlersTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private Task<SqliteTestHost> StartBaristaAsync(Rendezvous rendezvous, int concurrency) => SqliteTestHost.StartAsync(_directory,
        t => t.AddEndpoint("barista", e =>
        {
            e.Handle<Brew, BrewHandler>();
            e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            e.Concurrency = concurrency;
            e.Prefetch = 1;
        }),
        s => s.AddSingleton(rendezvous));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Four_handlers_of_one_service_are_inside_at_once_and_each_cup_is_written_once(bool readFirst)
    {
        var rendezvous = new Rendezvous { Expected = 4, ReadFirst = readFirst };
        await using var host = await StartBaristaAsync(rendezvous, concurrency: 4);
        CreateCups(host);

        await SendCupsAsync(host, 4);

        await SqliteTestHost.WaitUntilAsync(() => host.Scalar("SELECT COUNT(*) FROM cups") == 4);
        Assert.True(rendezvous.Met);

        // A handler that read before another committed wrote on a stale snapshot: its batch started over, and still
        // every cup is there once.
        Assert.Equal(4, host.Scalar("SELECT COUNT(DISTINCT cup) FROM cups"));
        Assert.Equal(4, host.Scalar("SELECT COUNT(*) FROM tidings_inbox WHERE endpoint = 'barista'"));
    }

    [Fact]
    public async Task Handlers_of_two_hosts_sharing_the_service_database_are_inside_at_once()
    {
        var rendezvous = new Rendezvous { Expected = 4 };
        await using var one = await StartBaristaAsync(rendezvous, concurrency: 2);
        await using var two = await StartBaristaAsync(rendezvous, concurrency: 2);
        CreateCups(one);

        await SendCupsAsync(one, 4);

        await SqliteTestHost.WaitUntilAsync(() => one.Scalar("SELECT COUNT(*) FROM cups") == 4);
        Assert.True(rendezvous.Met);
        Assert.Equal(4, one.Scalar("SELECT COUNT(DISTINCT cup) FROM cups"));
    }

    private static async Task SendCupsAsync(SqliteTestHost host, int count)
    {
        for (var cup = 1; cup <= count; cup++)
        {
            await host.Bus.SendAsync("barista", new Brew(cup), cancellationToken: Ct);
        }
    }

    private static void CreateCups(SqliteTestHost host)
    {
        using var connection = host.Store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS cups (cup INTEGER NOT NULL)";
        command.ExecuteNonQuery();
    }
}

/// <summary>Begins a session in an effectively-once handler, and records how that went.</summary>
public sealed class NestedSessionHandler(ITransactionalSessionFactory sessions, NestedSessionOutcome outcome) : IHandleMessages<Brew>
{
    public async Task HandleAsync(Brew message, IMessageContext context, CancellationToken cancellationToken)
    {
        // The first run fails, so that the batch starts over with savepoints: the refusal must hold there too.
        if (outcome.Run() == 1)
        {
            throw new InvalidOperationException("first run");
        }

        try
        {
            await using var session = await sessions.BeginAsync(cancellationToken);
            outcome.Error.TrySetResult(null);
        }
        catch (InvalidOperationException ex)
        {
            outcome.Error.TrySetResult(ex);
        }
    }
}

public sealed class NestedSessionOutcome
{
    private int _runs;

    public int Runs => Volatile.Read(ref _runs);

    public int Run() => Interlocked.Increment(ref _runs);

    public TaskCompletionSource<Exception?> Error { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed class NestedSessionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_session_begun_inside_an_effectively_once_handler_is_refused_at_once_with_the_way_out_also_when_its_batch_started_over()
    {
        var outcome = new NestedSessionOutcome();
        await using var host = await SqliteTestHost.StartAsync(_directory,
            t => t.AddEndpoint("barista", e =>
            {
                e.Handle<Brew, NestedSessionHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;

                // The failed first run is the first attempt; its immediate retry runs in the pass with savepoints.
                e.Retries = new RetryPolicy { ImmediateRetries = 1, DelayedRedeliveries = 0 };
            }),
            s => s.AddSingleton(outcome));

        await host.Bus.SendAsync("barista", new Brew(1), cancellationToken: TestContext.Current.CancellationToken);

        var error = await outcome.Error.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.NotNull(error);
        Assert.Equal(2, outcome.Runs);
        Assert.Contains("context.Transaction", error.Message, StringComparison.Ordinal);
    }
}
