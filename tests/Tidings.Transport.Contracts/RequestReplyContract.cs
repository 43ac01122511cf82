using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>A bus shared by several hosts (processes, as far as the transport can tell) for one test.</summary>
public interface IBusFixture : IAsyncDisposable
{
    /// <summary>Connects <paramref name="builder"/>'s host to this test's bus.</summary>
    void UseTransport(TidingsBuilder builder);
}

[MessageName("contract.brew")]
public sealed record Brew(string Drink, int Shots);

[MessageName("contract.brewed")]
public sealed record Brewed(string Drink, int Shots, int ByInstance);

/// <summary>Replies to <see cref="Brew"/>, except for zero shots, which it ignores.</summary>
public sealed class BrewHandler : IHandleMessages<Brew>
{
    public static int Instance { get; } = Environment.ProcessId;

    public async Task HandleAsync(Brew message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (message.Shots > 0)
        {
            await context.ReplyAsync(new Brewed(message.Drink, message.Shots, Instance), cancellationToken: cancellationToken);
        }
    }
}

/// <summary>Request/reply through <see cref="IBus.RequestAsync{TRequest, TResponse}"/>, on every transport.</summary>
public abstract class RequestReplyContract<TFixture> : IAsyncLifetime
    where TFixture : IBusFixture, new()
{
    private readonly List<IHost> _hosts = [];
    private readonly string _barista = "barista-" + Guid.NewGuid().ToString("N")[..8];

    protected TFixture Fixture { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await StartAsync(t => t.AddEndpoint(_barista, e => e.Handle<Brew, BrewHandler>()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        await Fixture.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_request_gets_the_reply_its_handler_sent()
    {
        var requester = await StartAsync(_ => { });

        var reply = await requester.RequestAsync<Brew, Brewed>(_barista, new Brew("cortado", 2), cancellationToken: Ct);

        Assert.Equal(new Brewed("cortado", 2, BrewHandler.Instance), reply);
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_reply()
    {
        var requester = await StartAsync(_ => { });

        var replies = await Task.WhenAll(Enumerable.Range(1, 20)
            .Select(i => requester.RequestAsync<Brew, Brewed>(_barista, new Brew("shot " + i, i), cancellationToken: Ct)));

        Assert.Equal(Enumerable.Range(1, 20), replies.Select(r => r.Shots));
        Assert.All(replies, r => Assert.Equal("shot " + r.Shots, r.Drink));
    }

    [Fact]
    public async Task A_request_nobody_answers_times_out_with_a_clear_error()
    {
        var requester = await StartAsync(_ => { });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => requester.RequestAsync<Brew, Brewed>(
            _barista, new Brew("nothing", 0), new RequestOptions { Timeout = TimeSpan.FromMilliseconds(500) }, Ct));

        Assert.Contains(_barista, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_request_stops_waiting()
    {
        var requester = await StartAsync(_ => { });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => requester.RequestAsync<Brew, Brewed>(
            _barista, new Brew("nothing", 0), cancellationToken: cancel.Token));
    }

    private async Task<IBus> StartAsync(Action<TidingsBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t =>
        {
            Fixture.UseTransport(t);
            configure(t);
        });
        var host = builder.Build();
        await host.StartAsync(Ct);
        _hosts.Add(host);
        return host.Services.GetRequiredService<IBus>();
    }
}
