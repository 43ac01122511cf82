using System.Diagnostics;
using HdrHistogram;
using Tidings.Stores;

namespace Tidings.Benchmarks;

/// <summary>The benchmark's message: a sequence number, the sender's timestamp, and padding to the body size.</summary>
[MessageName("bench.message")]
public sealed record BenchMessage(long Seq, long SentTicks, string Padding);

[MessageName("bench.processed")]
public sealed record BenchProcessed(long Seq);

/// <summary>Counts handled messages and records end-to-end latency.</summary>
public sealed class BenchRecorder
{
    private readonly Lock _lock = new();
    private readonly LongHistogram _latency = new(TimeStamp.Minutes(1), 3);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _handled;

    public long Expected { get; set; } = long.MaxValue;

    public long Handled => Interlocked.Read(ref _handled);

    public Task Done => _done.Task;

    public void Record(BenchMessage message)
    {
        var elapsed = Stopwatch.GetTimestamp() - message.SentTicks;
        lock (_lock)
        {
            _latency.RecordValue(elapsed);
        }

        if (Interlocked.Increment(ref _handled) >= Expected)
        {
            _done.TrySetResult();
        }
    }

    public double PercentileMs(double percentile)
    {
        lock (_lock)
        {
            return _latency.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _latency.Reset();
        }
    }
}

public sealed class BenchHandler(BenchRecorder recorder) : IHandleMessages<BenchMessage>
{
    public Task HandleAsync(BenchMessage message, IMessageContext context, CancellationToken cancellationToken)
    {
        recorder.Record(message);
        return Task.CompletedTask;
    }
}

/// <summary>Effectively-once: a business row in the handler's transaction and one outgoing event through the outbox.</summary>
public sealed class BenchTransactionalHandler(BenchRecorder recorder) : IHandleMessages<BenchMessage>
{
    public async Task HandleAsync(BenchMessage message, IMessageContext context, CancellationToken cancellationToken)
    {
        await using (var command = context.Transaction!.Connection!.CreateCommand())
        {
            command.Transaction = context.Transaction;
            command.CommandText = "INSERT INTO bench_effects (seq) VALUES ($seq)";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "$seq";
            parameter.Value = message.Seq;
            command.Parameters.Add(parameter);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await context.PublishAsync(new BenchProcessed(message.Seq), cancellationToken: cancellationToken);
        recorder.Record(message);
    }
}
