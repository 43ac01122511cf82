using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Support;

/// <summary>A started host with Tidings on a SQLite bus file, and the service's own SQLite database.</summary>
public sealed class SqliteTestHost : IAsyncDisposable
{
    private SqliteTestHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public IBus Bus => Services.GetRequiredService<IBus>();

    public ITransport Transport => Services.GetRequiredService<ITransport>();

    public SqliteStore Store => Services.GetRequiredService<SqliteStore>();

    public static async Task<SqliteTestHost> StartAsync(TempDirectory directory, Action<TidingsBuilder> configure, Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("TIDINGS_TEST_LOG") is not null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        services?.Invoke(builder.Services);
        builder.Services.AddTidings(t =>
        {
            t.UseSqlite(new SqliteTransportOptions { Path = directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) });
            t.UseSqliteStore(directory.File("service.db"));
            t.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            configure(t);
        });
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new SqliteTestHost(host);
    }

    /// <summary>Declares <paramref name="queue"/> subscribed to <paramref name="topics"/> and returns a receiver on it.</summary>
    public async Task<IMessageReceiver> ListenAsync(string queue, params string[] topics)
    {
        await Transport.DeclareAsync(new QueueDeclaration(queue, topics), TestContext.Current.CancellationToken);
        return Transport.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromSeconds(30)));
    }

    public async Task<ReceivedMessage> DeadLetterAsync(string queue)
    {
        await using var receiver = Transport.CreateReceiver(DeadLetterQueues.For(queue), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        return Assert.Single(await receiver.ReceiveWithin(TimeSpan.FromSeconds(10), 1));
    }

    public long Scalar(string sql)
    {
        using var connection = Store.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for something that happens in the background (the outbox emptying after a send).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 10 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(CancellationToken.None);
        Host.Dispose();
    }
}
