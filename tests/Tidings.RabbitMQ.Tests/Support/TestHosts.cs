using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tidings.RabbitMQ.Tests.Support;

/// <summary>In-process service hosts on RabbitMQ, stopped at the end of the test.</summary>
public sealed class TestHosts : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    public async Task<IHost> StartAsync(Action<TidingsBuilder> configure, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(configure);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        _hosts.Add(host);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        _hosts.Clear();
    }
}

[MessageName("rabbitmq-test.numbered")]
public sealed record Numbered(int Seq);

/// <summary>Counts how often each message was handled.</summary>
public sealed class Recorder
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _handled = new();

    public int Distinct => _handled.Count;

    public int Total => _handled.Values.Sum();

    public bool Saw(int seq) => _handled.ContainsKey(seq);

    public int TimesHandled(int seq) => _handled.GetValueOrDefault(seq);

    public void Record(int seq) => _handled.AddOrUpdate(seq, 1, (_, n) => n + 1);
}

public sealed class NumberedHandler(Recorder recorder) : IHandleMessages<Numbered>
{
    public Task HandleAsync(Numbered message, IMessageContext context, CancellationToken cancellationToken)
    {
        recorder.Record(message.Seq);
        return Task.CompletedTask;
    }
}
