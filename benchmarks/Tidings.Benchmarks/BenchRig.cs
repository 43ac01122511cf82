using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tidings.Benchmarks;

/// <summary>
/// The publisher and the consumer of one run, in one process or in two (the consumer a child process of this program,
/// on the same bus file), with a scratch folder removed afterwards.
/// </summary>
internal sealed class BenchRig : IBenchRig
{
    private const int DefaultWarmUp = 5000;
    private readonly string _directory;
    private readonly int _warmUp;
    private readonly BenchHost _publisher;
    private readonly BenchHost? _localConsumer;
    private readonly ConsumerProcess? _remoteConsumer;

    private BenchRig(BenchmarkOptions options, string directory, BenchHost publisher, BenchHost? localConsumer, ConsumerProcess? remoteConsumer, int warmUp)
    {
        _warmUp = warmUp;
        _options = options;
        _directory = directory;
        _publisher = publisher;
        _localConsumer = localConsumer;
        _remoteConsumer = remoteConsumer;
    }

    private readonly BenchmarkOptions _options;

    private IBus Bus => _publisher.Bus;

    public Task PublishAsync(BenchMessage message) => Bus.PublishAsync(message).AsTask();

    public static async Task<BenchRig> StartAsync(BenchmarkOptions options, long expected, int warmUp = DefaultWarmUp)
    {
        var directory = Path.Combine(Path.GetTempPath(), "tidings-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        if (options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(options, options.Queue("bench"));
        }

        if (options.Processes == 1)
        {
            var both = await BenchHost.StartAsync(options, directory, consume: true);
            both.Recorder.WarmUpCount = warmUp;
            both.Recorder.Expected = expected;
            return new BenchRig(options, directory, both, both, null, warmUp);
        }

        var consumer = await ConsumerProcess.StartAsync(options, directory, expected, warmUp);
        var publisher = await BenchHost.StartAsync(options, directory, consume: false);
        return new BenchRig(options, directory, publisher, null, consumer, warmUp);
    }

    /// <summary>Runs the consumer through JIT, connection pools and first commits before measuring.</summary>
    public async Task WarmUpAsync(string padding)
    {
        await Task.WhenAll(Enumerable.Range(1, _warmUp)
            .Select(i => Bus.PublishAsync(new BenchMessage(-i, Stopwatch.GetTimestamp(), padding)).AsTask()));
        var warm = _localConsumer is not null ? _localConsumer.Recorder.WarmedUp : _remoteConsumer!.WarmedUp;
        await warm.WaitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>Waits until every measured message was handled; returns what the consumer measured.</summary>
    public async Task<ConsumerReport> WaitForConsumerAsync()
    {
        if (_localConsumer is not null)
        {
            await _localConsumer.Recorder.Done.WaitAsync(TimeSpan.FromMinutes(5));
            return _localConsumer.Recorder.Report();
        }

        return await _remoteConsumer!.Report.WaitAsync(TimeSpan.FromMinutes(5));
    }

    /// <summary>Bytes this process allocated are counted by the caller; a remote consumer's are in its report.</summary>
    public bool ConsumerAllocationsIncludedLocally => _localConsumer is not null;

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        if (_remoteConsumer is not null)
        {
            await _remoteConsumer.DisposeAsync();
        }

        if (_options.OnRabbitMq)
        {
            await BrokerQueues.DeleteAsync(_options, _options.Queue("bench"));
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The consumer as a child process: it prints "warm", then one report line when it has handled everything.</summary>
    private sealed class ConsumerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<ConsumerReport> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private ConsumerProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => OnLine(e.Data);
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine("[consumer] " + e.Data);
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public Task WarmedUp => _warm.Task;

        public Task<ConsumerReport> Report => _report.Task;

        public static async Task<ConsumerProcess> StartAsync(BenchmarkOptions options, string directory, long expected, int warmUp)
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                info.ArgumentList.Add(typeof(BenchRig).Assembly.Location);
            }

            foreach (var arg in options.ToArguments())
            {
                info.ArgumentList.Add(arg);
            }

            foreach (var arg in new[] { "--role", "consumer", "--directory", directory, "--expected", expected.ToString(System.Globalization.CultureInfo.InvariantCulture), "--warm-up", warmUp.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(arg);
            }

            var consumer = new ConsumerProcess(Process.Start(info)!);
            await consumer._ready.Task.WaitAsync(TimeSpan.FromMinutes(1));
            return consumer;
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            _process.Dispose();
        }

        private void OnLine(string? line)
        {
            switch (line)
            {
                case null:
                    _report.TrySetException(new InvalidOperationException("The consumer process ended without a report."));
                    break;
                case "ready":
                    _ready.TrySetResult();
                    break;
                case "warm":
                    _warm.TrySetResult();
                    break;
                default:
                    if (line.StartsWith("report ", StringComparison.Ordinal))
                    {
                        _report.TrySetResult(JsonSerializer.Deserialize<ConsumerReport>(line["report ".Length..])!);
                    }

                    break;
            }
        }
    }

    /// <summary>The child side: consume until everything expected was handled, report, and wait to be told to stop.</summary>
    public static async Task RunConsumerAsync(BenchmarkOptions options)
    {
        await using var host = await BenchHost.StartAsync(options, options.Directory!, consume: true);
        host.Recorder.WarmUpCount = options.WarmUp;
        host.Recorder.Expected = options.Expected;
        Console.WriteLine("ready");
        await host.Recorder.WarmedUp;
        Console.WriteLine("warm");
        await host.Recorder.Done;
        Console.WriteLine("report " + JsonSerializer.Serialize(host.Recorder.Report()));
        await Task.Run(() => Console.In.ReadToEnd());
    }
}
