using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Pipeline;
using Tidings.Stores;
using Tidings.Transport;

namespace Tidings;

/// <summary>
/// Declares every endpoint's queue and subscriptions, runs its workers, and shuts down gracefully: stop taking
/// messages, let in-flight handlers finish within <see cref="TidingsOptions.ShutdownTimeout"/>, then cancel the rest
/// and hand their messages back to the queue.
/// </summary>
internal sealed partial class TidingsHostedService(
    IServiceProvider services, TidingsOptions options, BusRuntime runtime, ILogger<TidingsHostedService> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly List<Task> _workers = [];
    private readonly List<IMessageReceiver> _receivers = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var transport = runtime.Transport;
        foreach (var endpointOptions in options.Endpoints)
        {
            var topics = endpointOptions.Subscriptions.Select(options.Registry.GetName).ToArray();
            await transport.DeclareAsync(new QueueDeclaration(endpointOptions.Name, topics), cancellationToken).ConfigureAwait(false);

            var endpoint = new EndpointRuntime(endpointOptions, Pipelines.Checks(options), services.GetRequiredService<TimeProvider>(),
                e => Pipelines.Receive(e, options, transport, runtime.SendPipeline, services));
            var workerLogger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Tidings.Endpoint." + endpointOptions.Name);
            for (var i = 0; i < endpointOptions.Concurrency; i++)
            {
                var receiver = transport.CreateReceiver(endpointOptions.Name, new ReceiverSettings(endpointOptions.LeaseDuration, endpointOptions.Prefetch));
                _receivers.Add(receiver);
                var worker = new EndpointWorker(endpoint, receiver, Pipelines.Batch(endpoint, receiver, services, workerLogger), workerLogger, services.GetService<WorkTracker>());
                _workers.Add(Task.Run(() => worker.RunAsync(_stopReceiving.Token, _abortHandling.Token), CancellationToken.None));
            }

            LogStarted(logger, endpointOptions.Name, endpointOptions.DeliveryMode, endpointOptions.Concurrency, string.Join(", ", topics));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        try
        {
            await WaitForWorkersAsync(Task.WhenAll(_workers), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var receiver in _receivers)
            {
                await receiver.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task WaitForWorkersAsync(Task all, CancellationToken cancellationToken)
    {
        try
        {
            await all.WaitAsync(options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogAborting(logger, options.ShutdownTimeout);
            await _abortHandling.CancelAsync().ConfigureAwait(false);
            try
            {
                // Cancelled handlers hand their messages back at once; one that ignores its token is left behind.
                await all.WaitAsync(AbortGrace, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogAbandoned(logger, AbortGrace);
            }
        }
    }

    public void Dispose()
    {
        _stopReceiving.Dispose();
        _abortHandling.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Endpoint {Endpoint} started ({Mode}, {Concurrency} workers), subscribed to [{Topics}].")]
    private static partial void LogStarted(ILogger logger, string endpoint, DeliveryMode mode, int concurrency, string topics);

    [LoggerMessage(LogLevel.Error, "Handlers ignored cancellation for {Grace}; stopping without them. Their messages come back when their leases expire.")]
    private static partial void LogAbandoned(ILogger logger, TimeSpan grace);

    [LoggerMessage(LogLevel.Warning, "Handlers still running after {Timeout}; cancelling them. Their messages go back to the queue.")]
    private static partial void LogAborting(ILogger logger, TimeSpan timeout);
}
