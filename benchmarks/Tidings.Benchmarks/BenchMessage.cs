using System.Diagnostics;
using System.Diagnostics.Metrics;
using HdrHistogram;

namespace Tidings.Benchmarks;

/// <summary>The benchmark's message: a sequence number (negative: warm-up), the sender's timestamp, and padding.</summary>
[MessageName("bench.message")]
public sealed record BenchMessage(long Seq, long SentTicks, string Padding);

[MessageName("bench.processed")]
public sealed record BenchProcessed(long Seq);

/// <summary>What the consuming side measured: latency percentiles, when the last message was handled, what it allocated.</summary>
public sealed record ConsumerReport(
    double P50Ms, double P99Ms, long LastHandledTicks, long AllocatedBytes, double? RelayLagP50Ms = null, double? RelayLagP99Ms = null,
    double? P90Ms = null, double? P999Ms = null);

/// <summary>
/// Counts handled messages and records end-to-end latency (Stopwatch ticks are the machine's monotonic clock, so a
/// timestamp taken in the publisher's process is comparable here).
/// </summary>
public sealed class BenchRecorder : IDisposable
{
    private readonly LongHistogram _relayLag = new(TimeStamp.Minutes(1), 3);
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly LongHistogram _latency = new(TimeStamp.Minutes(1), 3);
    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _warmHandled;
    private long _handled;
    private long _lastTicks;
    private long _allocatedAtStart;

    /// <summary>Listens to Tidings' outbox lag (commit to broker confirm) once the warm-up is over.</summary>
    public BenchRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Tidings" && instrument.Name == "tidings.outbox.lag")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            if (_warm.Task.IsCompleted)
            {
                lock (_lock)
                {
                    _relayLag.RecordValue((long)(seconds * Stopwatch.Frequency));
                }
            }
        });
        _listener.Start();
    }

    public long WarmUpCount { get; set; } = 500;

    public long Expected { get; set; } = long.MaxValue;

    public Task WarmedUp => _warm.Task;

    public Task Done => _done.Task;

    public void Record(BenchMessage message)
    {
        var now = Stopwatch.GetTimestamp();
        if (message.Seq < 0)
        {
            if (Interlocked.Increment(ref _warmHandled) == WarmUpCount)
            {
                _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
                _warm.TrySetResult();
            }

            return;
        }

        lock (_lock)
        {
            _latency.RecordValue(Math.Max(0, now - message.SentTicks));
            _lastTicks = Math.Max(_lastTicks, now);
        }

        if (Interlocked.Increment(ref _handled) == Expected)
        {
            _done.TrySetResult();
        }
    }

    public ConsumerReport Report()
    {
        lock (_lock)
        {
            var lagged = _relayLag.TotalCount > 0;
            return new ConsumerReport(Ms(_latency.GetValueAtPercentile(50)), Ms(_latency.GetValueAtPercentile(99)), _lastTicks,
                GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart,
                lagged ? Ms(_relayLag.GetValueAtPercentile(50)) : null, lagged ? Ms(_relayLag.GetValueAtPercentile(99)) : null,
                Ms(_latency.GetValueAtPercentile(90)), Ms(_latency.GetValueAtPercentile(99.9)));
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public void Dispose() => _listener.Dispose();
}

internal sealed class BenchHandler(BenchRecorder recorder, BenchmarkOptions options) : IHandleMessages<BenchMessage>
{
    public async Task HandleAsync(BenchMessage message, IMessageContext context, CancellationToken cancellationToken)
    {
        if (options.HandlerMs > 0)
        {
            await Task.Delay(options.HandlerMs, cancellationToken);
        }

        recorder.Record(message);
    }
}

/// <summary>Effectively-once: a business row in the handler's transaction and (unless --outgoing false) one outgoing event through the outbox.</summary>
internal sealed class BenchTransactionalHandler(BenchRecorder recorder, BenchmarkOptions options) : IHandleMessages<BenchMessage>
{
    public async Task HandleAsync(BenchMessage message, IMessageContext context, CancellationToken cancellationToken)
    {
        // The slow work first (a call to another service, say), then the write: the write lock is held only from there.
        if (options.HandlerMs > 0)
        {
            await Task.Delay(options.HandlerMs, cancellationToken);
        }

        await using (var command = context.Transaction!.Connection!.CreateCommand())
        {
            command.Transaction = context.Transaction;
            var postgres = options.Store == "postgres";
            command.CommandText = postgres ? $"INSERT INTO {BenchDatabase.Schema}.bench_effects (seq) VALUES (@seq)" : "INSERT INTO bench_effects (seq) VALUES ($seq)";
            var parameter = command.CreateParameter();
            parameter.ParameterName = postgres ? "seq" : "$seq";
            parameter.Value = message.Seq;
            command.Parameters.Add(parameter);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (options.Outgoing)
        {
            await context.PublishAsync(new BenchProcessed(message.Seq), cancellationToken: cancellationToken);
        }

        recorder.Record(message);
    }
}
