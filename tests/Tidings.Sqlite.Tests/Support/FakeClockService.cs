using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Support;

/// <summary>
/// A service on the SQLite bus and store whose clock the test drives (a <see cref="FakeTimeProvider"/>), and a client
/// of the same bus on the same clock (the bus stamps visibility with it).
/// </summary>
public sealed class FakeClockService : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteTransport> _clients = [];
    private IHost? _host;

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("Start the service first.");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SqliteTransportOptions Bus => new() { Path = _directory.File("bus.db"), PollInterval = TimeSpan.FromMilliseconds(50) };

    public async Task StartAsync(Action<TidingsBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.AddTidings(t =>
        {
            t.UseSqlite(Bus).UseSqliteStore(_directory.File("service.db"));
            configure(t);
        });
        _host = builder.Build();
        await _host.StartAsync(Ct);
    }

    /// <summary>A queue of the test's own, subscribed to <paramref name="topics"/>.</summary>
    public async Task<IMessageReceiver> ListenAsync(string queue, params string[] topics)
    {
        var client = Client();
        await client.DeclareAsync(new QueueDeclaration(queue, topics), Ct);
        return client.CreateReceiver(queue, new ReceiverSettings(TimeSpan.FromMinutes(30)));
    }

    public Task SendAsync<T>(string queue, string name, T message) => SendAsync(queue, Envelope(name, message));

    public Task SendAsync(string queue, Envelope envelope) => Client().SendAsync([new OutgoingMessage(Destination.Queue(queue), envelope)], Ct);

    public Envelope Envelope<T>(string name, T message) => new()
    {
        MessageId = Tidings.Envelope.NewMessageId(),
        MessageName = name,
        SentAt = Time.GetUtcNow(),
        Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, JsonSerializerOptions.Web)),
    };

    /// <summary>
    /// Looks for a message on <paramref name="receiver"/>, and moves the clock on by <paramref name="step"/> each time
    /// none has come, until one does; returns it and how many steps it took. The relay may set its timer just after a
    /// move (it was between reading the next due time and waiting), so one move is not always enough; a message that
    /// comes before any move came early.
    /// </summary>
    public async Task<(ReceivedMessage Message, int Steps)> AdvanceUntilReceivedAsync(IMessageReceiver receiver, TimeSpan step)
    {
        for (var steps = 0; steps < 200; steps++)
        {
            var batch = await receiver.ReceiveWithin(TimeSpan.FromMilliseconds(100), 1);
            if (batch.Count > 0)
            {
                await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList(), Ct);
                return (batch[0], steps);
            }

            Time.Advance(step);
        }

        Assert.Fail($"Nothing arrived after the clock moved on 200 times by {step}.");
        return default;
    }

    /// <summary>Rows of the service's database: a table, and optionally a WHERE clause after it.</summary>
    public long Count(string tableAndFilter) => Effects.Count(_directory.File("service.db"), $"SELECT COUNT(*) FROM {tableAndFilter}");

    /// <summary>The first column of the first row of <paramref name="sql"/> on the service's database, as text.</summary>
    public string? Text(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("service.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }

    public static T Read<T>(ReceivedMessage message) => JsonSerializer.Deserialize<T>(message.Envelope.Body.Span, JsonSerializerOptions.Web)!;

    private SqliteTransport Client()
    {
        var client = new SqliteTransport(Bus, Time);
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _directory.Dispose();
    }
}
