using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Transport;
using Tidings.Transport.Contracts;
using Tidings.Transport.InMemory;

namespace Tidings.Tests.Support;

/// <summary>A started host with Tidings on an in-memory transport, and helpers to look into its queues.</summary>
public sealed class TestBus : IAsyncDisposable
{
    private TestBus(IHost host, InMemoryTransport transport)
    {
        Host = host;
        Transport = transport;
        Recorder = host.Services.GetRequiredService<Recorder>();
    }

    public IHost Host { get; }

    public InMemoryTransport Transport { get; }

    public IBus Bus => Host.Services.GetRequiredService<IBus>();

    public Recorder Recorder { get; }

    public static async Task<TestBus> StartAsync(Action<TidingsBuilder> configure, InMemoryTransport? transport = null)
    {
        transport ??= new InMemoryTransport();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Recorder>();
        builder.Services.AddTidings(t =>
        {
            t.UseInMemoryTransport(transport);
            t.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            configure(t);
        });
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new TestBus(host, transport);
    }

    /// <summary>Waits for one message on <paramref name="queue"/>'s dead-letter queue.</summary>
    public async Task<ReceivedMessage> DeadLetterAsync(string queue, TimeSpan? timeout = null)
    {
        await using var receiver = Transport.CreateReceiver(DeadLetterQueues.For(queue), new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var batch = await receiver.ReceiveWithin(timeout ?? TimeSpan.FromSeconds(10), 1);
        return Assert.Single(batch);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(CancellationToken.None);
        Host.Dispose();
    }
}
