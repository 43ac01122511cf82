using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.PostgreSql.Tests.Stores;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.PostgreSql.Tests.Sagas;

[MessageName("test.skew.started")]
public sealed record SkewStarted(string Id);

[MessageName("test.skew.timeout")]
public sealed record SkewTimeout(string Id);

[MessageName("test.skew.fired")]
public sealed record SkewFired(string Id);

public sealed class SkewState
{
    public string? Id { get; set; }
}

/// <summary>Asks for a timeout two seconds after it starts, and announces it when it fires.</summary>
public sealed class SkewSaga : Saga<SkewState>
{
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    public SkewSaga()
    {
        StartedBy<SkewStarted>(m => m.Id, (m, saga) =>
        {
            saga.State.Id = m.Id;
            saga.RequestTimeout("skew", Delay, new SkewTimeout(m.Id));
            return Task.CompletedTask;
        });
        OnTimeout<SkewTimeout>(async (m, saga) =>
        {
            await saga.PublishAsync(new SkewFired(m.Id));
            saga.Complete();
        });
    }
}

/// <summary>The system clock, shifted: a service whose clock is wrong.</summary>
internal sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}

/// <summary>
/// Two instances of one service on one PostgreSQL database and RabbitMQ, one with its clock five minutes wrong: the
/// timeout it asks for fires after its two seconds, whichever instance sends it, never early (the database's clock
/// keeps the span) and not five minutes late.
/// </summary>
public sealed class ClockSkewTests : IAsyncDisposable
{
    private readonly PostgreSqlEffectivelyOnceFixture _fixture = new();
    private readonly string _queue = "skewed-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _announced = "skew-fired-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<IHost> _hosts = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        await _fixture.DeleteQueuesAsync(_queue, _announced);
        await _fixture.DisposeAsync();
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(5)]
    public async Task A_timeout_asked_for_by_a_service_whose_clock_is_wrong_fires_on_time(int minutesOff)
    {
        await StartAsync(new ShiftedTimeProvider(TimeSpan.FromMinutes(minutesOff)));
        var transport = _fixture.Connect();
        await transport.DeclareAsync(new QueueDeclaration(_announced, ["test.skew.fired"]), Ct);
        await using var fired = transport.CreateReceiver(_announced, new ReceiverSettings(TimeSpan.FromSeconds(30)));

        // The skewed instance alone takes the start (the other is not running yet), then both run.
        var started = Stopwatch.GetTimestamp();
        await transport.SendAsync([new OutgoingMessage(Destination.Queue(_queue), Envelope("test.skew.started", new SkewStarted("ada")))], Ct);
        await Effects.WaitForAsync(async () => await _fixture.ScalarAsync($"SELECT COUNT(*) FROM {_fixture.Tables.Sagas}") == 1, TimeSpan.FromSeconds(20),
            () => "the saga did not start");
        await StartAsync(TimeProvider.System);

        var message = Assert.Single(await fired.DrainAsync(1, TimeSpan.FromSeconds(30)));
        var after = Stopwatch.GetElapsedTime(started);
        Assert.Equal("test.skew.fired", message.Envelope.MessageName);
        Assert.True(after >= SkewSaga.Delay, $"fired after {after}, before its {SkewSaga.Delay}");
        Assert.True(after < TimeSpan.FromMinutes(1), $"fired after {after}");
    }

    private async Task StartAsync(TimeProvider clock)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(clock);
        builder.Services.AddTidings(t =>
        {
            _fixture.UseTransport(t);
            _fixture.UseStore(t);
            t.AddMessage<SkewFired>();
            t.Configure(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
                o.SchedulePollInterval = TimeSpan.FromMilliseconds(200);
            });
            t.AddEndpoint(_queue, e =>
            {
                e.Saga<SkewSaga>("skew");
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            });
        });
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync(Ct);

        // The store makes its tables at its first transaction: before the test reads them.
        await using var migrated = await host.Services.GetRequiredService<Tidings.Stores.ITransactionalStore>().BeginAsync(Ct);
    }

    private static Envelope Envelope<T>(string name, T message) => new()
    {
        MessageId = Tidings.Envelope.NewMessageId(),
        MessageName = name,
        SentAt = DateTimeOffset.UtcNow,
        Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message, JsonSerializerOptions.Web)),
    };
}
