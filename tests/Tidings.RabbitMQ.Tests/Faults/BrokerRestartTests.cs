using Microsoft.Extensions.DependencyInjection;
using Tidings.RabbitMQ.Tests.Support;
using Tidings.Transport.Contracts;

namespace Tidings.RabbitMQ.Tests.Faults;

/// <summary>Tests that stop the broker: they run alone, after every other test of the run.</summary>
[CollectionDefinition(nameof(BrokerFaults), DisableParallelization = true)]
public sealed class BrokerFaults;

[Collection(nameof(BrokerFaults))]
public sealed class BrokerRestartTests : IAsyncDisposable
{
    private readonly TestHosts _hosts = new();

    public ValueTask DisposeAsync() => _hosts.DisposeAsync();

    [Fact]
    public async Task Every_message_whose_send_was_confirmed_is_handled_across_a_broker_restart()
    {
        const int count = 2000;
        var queue = "restart-" + Guid.NewGuid().ToString("N")[..8];
        var recorder = new Recorder();
        await _hosts.StartAsync(
            t => t.UseRabbitMq(Broker.Options()).AddEndpoint(queue, e => e.Handle<Numbered, NumberedHandler>()),
            s => s.AddSingleton(recorder));
        var bus = (await _hosts.StartAsync(t => t.UseRabbitMq(Broker.Options() with { PublishTimeout = TimeSpan.FromSeconds(60) })))
            .Services.GetRequiredService<IBus>();

        var confirmed = new List<int>();
        var failures = new List<string>();
        var confirmedAtStop = -1;
        var restart = Task.CompletedTask;
        for (var seq = 0; seq < count; seq++)
        {
            if (seq == count / 4)
            {
                // The broker goes down with a quarter sent (how long stop_app takes depends on how many queues the
                // broker has); the sends after it wait for the recovery, and it comes back a second later.
                await Broker.Ctl("stop_app");
                confirmedAtStop = confirmed.Count;
                restart = Task.Run(async () =>
                {
                    await Task.Delay(1000, TestContext.Current.CancellationToken);
                    await Broker.Ctl("start_app");
                }, TestContext.Current.CancellationToken);
            }

            try
            {
                await bus.SendAsync(queue, new Numbered(seq), cancellationToken: TestContext.Current.CancellationToken);
                lock (confirmed)
                {
                    confirmed.Add(seq);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add($"{seq}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        await restart;
        await Effects.WaitForAsync(() => confirmed.All(recorder.Saw), TimeSpan.FromSeconds(60),
            () => $"{confirmed.Count(s => !recorder.Saw(s))} confirmed messages never handled; {failures.Count} sends failed: {string.Join("; ", failures.Take(3))}");

        Assert.Equal(count / 4, confirmedAtStop); // the broker went down in the middle of the stream
        Assert.True(confirmed.Count > count / 2, $"only {confirmed.Count} of {count} sends were confirmed: {string.Join("; ", failures.Take(3))}");
    }
}
