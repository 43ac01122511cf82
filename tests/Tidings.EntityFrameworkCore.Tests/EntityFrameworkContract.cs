using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Sqlite;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.EntityFrameworkCore.Tests;

/// <summary>
/// What the Entity Framework Core integration promises on any store: one subclass per database. The bus is the embedded
/// SQLite transport; the store and the DbContext are the database under test.
/// </summary>
public abstract class EntityFrameworkContract : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tidings-ef-").FullName;
    private IHost? _host;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Points Tidings' store at the database under test.</summary>
    protected abstract void UseStore(TidingsBuilder tidings);

    /// <summary>Configures the DbContext's provider for the same database.</summary>
    protected abstract void UseDatabase(DbContextOptionsBuilder options);

    /// <summary>Creates the service's <c>payments</c> table.</summary>
    protected abstract Task CreateTablesAsync(DbConnection connection);

    /// <summary>Opens a connection to the database under test, outside Tidings.</summary>
    protected abstract Task<DbConnection> OpenAsync();

    protected string DirectoryPath => _directory;

    public virtual async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_handler_changes_entities_and_publishes_and_both_are_saved_together()
    {
        var bus = await StartAsync(RetryPolicy.Default);
        await using var downstream = await ListenAsync();

        await bus.SendAsync("cashier", new Charge(1, 450), cancellationToken: Ct);

        var received = await downstream.DrainAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("ef-test.charged", Assert.Single(received).Envelope.MessageName);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 1 AND cents = 450"));
    }

    [Fact]
    public async Task A_handler_that_fails_after_saving_entities_leaves_no_entity_and_sends_nothing()
    {
        var bus = await StartAsync(RetryPolicy.None);
        await using var downstream = await ListenAsync();

        await bus.SendAsync("cashier", new Charge(1, -1), cancellationToken: Ct);

        await using var dead = Transport.CreateReceiver(DeadLetterQueues.For("cashier"), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var failed = Assert.Single(await dead.ReceiveWithin(TimeSpan.FromSeconds(10), 1));
        Assert.Equal("declined", failed.Envelope.Headers[TidingsHeaders.ExceptionMessage]);
        Assert.Equal([99], await OrdersUntilMarkerAsync(bus, downstream));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 1"));
    }

    [Fact]
    public async Task In_a_batch_a_failing_message_loses_only_its_own_entities()
    {
        var bus = await StartAsync(RetryPolicy.None, paused: true);
        await bus.SendAsync("cashier", new Charge(1, 100), cancellationToken: Ct);
        await bus.SendAsync("cashier", new Charge(2, -1), cancellationToken: Ct);
        await bus.SendAsync("cashier", new Charge(3, 300), cancellationToken: Ct);
        await using var downstream = await ListenAsync();
        await _host!.StartAsync(Ct); // the three are waiting: they come as one batch

        Assert.Equal([1, 3, 99], (await OrdersUntilMarkerAsync(bus, downstream)).Order());
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id <> 99"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 2"));
    }

    [Fact]
    public async Task The_same_message_delivered_twice_changes_entities_once()
    {
        var bus = await StartAsync(RetryPolicy.Default);
        await using var downstream = await ListenAsync();
        var duplicate = new SendOptions { MessageId = Guid.CreateVersion7() };

        await bus.SendAsync("cashier", new Charge(1, 450), duplicate, Ct);
        await bus.SendAsync("cashier", new Charge(1, 450), duplicate, Ct);
        await bus.SendAsync("cashier", new Charge(2, 300), cancellationToken: Ct);

        Assert.Equal([1, 2, 99], await OrdersUntilMarkerAsync(bus, downstream));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 1"));
    }

    [Fact]
    public async Task Outside_handlers_SaveChanges_saves_entities_and_messages_in_one_transaction()
    {
        await StartAsync(RetryPolicy.Default);
        await using var downstream = await ListenAsync();

        await using (var scope = _host!.Services.CreateAsyncScope())
        {
            await using var unit = await scope.ServiceProvider.GetRequiredService<IDbContextOutbox<ShopDb>>().BeginAsync(Ct);
            unit.Context.Payments.Add(new Payment { OrderId = 7, Cents = 700 });
            await unit.PublishAsync(new Charged(7), cancellationToken: Ct);
            Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM payments")); // not before the commit
            await unit.SaveChangesAsync(Ct);
        }

        var received = await downstream.DrainAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("ef-test.charged", Assert.Single(received).Envelope.MessageName);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 7"));
    }

    [Fact]
    public async Task Outside_handlers_a_unit_of_work_disposed_without_saving_keeps_nothing_and_sends_nothing()
    {
        await StartAsync(RetryPolicy.Default);
        await using var downstream = await ListenAsync();

        await using (var scope = _host!.Services.CreateAsyncScope())
        {
            await using var unit = await scope.ServiceProvider.GetRequiredService<IDbContextOutbox<ShopDb>>().BeginAsync(Ct);
            unit.Context.Payments.Add(new Payment { OrderId = 8, Cents = 800 });
            await unit.Context.SaveChangesAsync(Ct); // written in the transaction, which then rolls back
            await unit.PublishAsync(new Charged(8), cancellationToken: Ct);
        }

        Assert.Equal([99], await OrdersUntilMarkerAsync(_host.Services.GetRequiredService<IBus>(), downstream));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM payments WHERE order_id = 8"));
    }

    [Fact]
    public async Task After_a_unit_of_work_the_context_works_on_its_own_connection_again()
    {
        await StartAsync(RetryPolicy.Default);

        await using var scope = _host!.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopDb>();
        await using (var unit = await scope.ServiceProvider.GetRequiredService<IDbContextOutbox<ShopDb>>().BeginAsync(Ct))
        {
            unit.Context.Payments.Add(new Payment { OrderId = 9, Cents = 900 });
            await unit.SaveChangesAsync(Ct);
        }

        Assert.Equal(1, await db.Payments.CountAsync(Ct));
        db.Payments.Add(new Payment { OrderId = 10, Cents = 1000 });
        await db.SaveChangesAsync(Ct);
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM payments"));
    }

    [Fact]
    public Task A_pooled_context_goes_back_to_the_pool_on_its_own_connection_after_handlers_succeed_or_fail() =>
        PooledContextComesBackWorkingAsync(UseDatabase);

    /// <summary>
    /// Handlers that succeed and fail with a pool of one context (the context the handlers had is the one rented
    /// afterwards), which must then work on its own connection.
    /// </summary>
    protected async Task PooledContextComesBackWorkingAsync(Action<DbContextOptionsBuilder> useDatabase)
    {
        var bus = await StartAsync(RetryPolicy.None, registerContext: s => s.AddDbContextPool<ShopDb>(useDatabase, poolSize: 1));
        await using var downstream = await ListenAsync();

        await bus.SendAsync("cashier", new Charge(1, 100), cancellationToken: Ct);
        await downstream.DrainAsync(1, TimeSpan.FromSeconds(10));
        await bus.SendAsync("cashier", new Charge(2, -1), cancellationToken: Ct);
        await using var dead = Transport.CreateReceiver(DeadLetterQueues.For("cashier"), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        Assert.Single(await dead.ReceiveWithin(TimeSpan.FromSeconds(10), 1));

        await using var scope = _host!.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopDb>();
        Assert.Equal([1], await db.Payments.Select(p => p.OrderId).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_context_with_a_retrying_execution_strategy_is_refused_with_a_reason()
    {
        await StartAsync(RetryPolicy.Default, registerContext: s => s.AddDbContext<ShopDb>(o =>
        {
            UseDatabase(o);
            o.ReplaceService<IExecutionStrategyFactory, RetryingStrategyFactory>();
        }));

        await using var scope = _host!.Services.CreateAsyncScope();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => scope.ServiceProvider.GetRequiredService<IDbContextOutbox<ShopDb>>().BeginAsync(Ct));
        Assert.Contains("EnableRetryOnFailure", refused.Message, StringComparison.Ordinal);
    }

    private ITransport Transport => _host!.Services.GetRequiredService<ITransport>();

    private async Task<IBus> StartAsync(RetryPolicy retries, bool paused = false, Action<IServiceCollection>? registerContext = null)
    {
        var connection = await OpenAsync();
        await using (connection)
        {
            await CreateTablesAsync(connection);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (registerContext is null)
        {
            builder.Services.AddDbContext<ShopDb>(UseDatabase);
        }
        else
        {
            registerContext(builder.Services);
        }

        builder.Services.AddTidings(t =>
        {
            t.UseSqlite(new SqliteTransportOptions { Path = Path.Combine(_directory, "bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) });
            UseStore(t);
            t.UseEntityFrameworkCore<ShopDb>();
            t.AddMessage<Charged>();
            t.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            t.AddEndpoint("cashier", e =>
            {
                e.Handle<Charge, ChargeHandler>();
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
                e.Retries = retries;

                // One worker: the cashier's messages are handled in order, so a marker order proves nothing came before it.
                e.Concurrency = 1;
            });
        });
        _host = builder.Build();
        var transport = Transport;
        await transport.DeclareAsync(new QueueDeclaration("cashier", []), Ct);
        if (!paused)
        {
            await _host.StartAsync(Ct);
        }

        return _host.Services.GetRequiredService<IBus>();
    }

    /// <summary>
    /// Sends a marker order (99) through the cashier and returns the orders of every event downstream up to its own:
    /// what the test's messages sent arrived before it.
    /// </summary>
    private static async Task<List<int>> OrdersUntilMarkerAsync(IBus bus, IMessageReceiver downstream)
    {
        await bus.SendAsync("cashier", new Charge(99, 100), cancellationToken: Ct);
        var orders = new List<int>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!orders.Contains(99))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the marker did not arrive; got [{string.Join(", ", orders)}]");
            var batch = await downstream.ReceiveWithin(deadline - DateTime.UtcNow, 50);
            orders.AddRange(batch.Select(m => System.Text.Json.JsonDocument.Parse(m.Envelope.Body).RootElement.GetProperty("orderId").GetInt32()));
            await downstream.SettleAsync(batch.Select(Settlement.Ack).ToList());
        }

        return orders;
    }

    private async Task<IMessageReceiver> ListenAsync()
    {
        await Transport.DeclareAsync(new QueueDeclaration("downstream", ["ef-test.charged"]), Ct);
        return Transport.CreateReceiver("downstream", new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }

    private async Task<long> ScalarAsync(string sql)
    {
        var connection = await OpenAsync();
        await using (connection)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Stands for a provider's EnableRetryOnFailure.</summary>
    private sealed class RetryingStrategyFactory(ExecutionStrategyDependencies dependencies) : IExecutionStrategyFactory
    {
        public IExecutionStrategy Create() => new RetryingStrategy(dependencies);
    }

    private sealed class RetryingStrategy(ExecutionStrategyDependencies dependencies) : ExecutionStrategy(dependencies, 3, TimeSpan.FromSeconds(1))
    {
        protected override bool ShouldRetryOn(Exception exception) => true;
    }
}
