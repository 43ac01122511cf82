using System.Diagnostics;
using System.Text.Json;

namespace Tidings.Benchmarks;

/// <summary>
/// The clients of <c>--workload sse-fanout</c>, in a process of their own (<c>--role sse-clients</c>) so that the
/// service's memory is its own: they open the streams, then say <c>open</c> once every stream has its first status,
/// <c>tick N</c> once every stream has had the update of change N, and at the end one JSON line of latencies.
/// </summary>
internal sealed class SseClientProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _arrived = new(0);

    private SseClientProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }

                _arrived.Release();
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Console.Error.WriteLine("sse-clients: " + line);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static SseClientProcess Start(BenchmarkOptions options, Uri events, string token)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            info.ArgumentList.Add(typeof(SseClientProcess).Assembly.Location);
        }

        foreach (var argument in new[] { "--role", "sse-clients", "--url", events.ToString(), "--token", token, "--streams", options.Streams.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        return new SseClientProcess(Process.Start(info)!);
    }

    /// <summary>Waits for a line that starts with <paramref name="prefix"/>, and returns it.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var seen = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (_lines[seen].StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return _lines[seen];
                    }
                }
            }

            var left = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"The stream clients never said '{prefix}' (exited: {_process.HasExited}).");
            }
        }
    }

    public Task WaitForExitAsync() => _process.WaitForExitAsync();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
        _arrived.Dispose();
    }

    /// <summary>The client process: <paramref name="options"/>' <c>--streams</c> streams of <c>--url</c>.</summary>
    public static async Task RunClientsAsync(BenchmarkOptions options)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var latencies = new HdrHistogram.LongHistogram(HdrHistogram.TimeStamp.Minutes(1), 3);
        var perTick = new System.Collections.Concurrent.ConcurrentDictionary<long, int>();
        var streams = options.Streams;

        async Task StreamAsync(Action opened)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, options.Url);
            request.Headers.Add("Resource-Token", options.Token);
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? type = null, id = null, data = null;
            var open = false;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length > 0)
                {
                    // Fields in any order; the blank line ends the event.
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        type = line[7..];
                    }
                    else if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        id = line[4..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        data = line[6..];
                    }

                    continue;
                }

                var arrived = DateTimeOffset.UtcNow;
                if (type == "status" && !open)
                {
                    open = true;
                    opened();
                }
                else if (type == "update" && id is not null && data is not null && long.Parse(id, System.Globalization.CultureInfo.InvariantCulture) is var position and > 1)
                {
                    using var json = JsonDocument.Parse(data);
                    if (json.RootElement.GetProperty("kind").GetString() == "handled" && json.RootElement.GetProperty("message").GetString() == "bench.sse.tick")
                    {
                        var ticks = (long)((arrived - json.RootElement.GetProperty("at").GetDateTimeOffset()).TotalSeconds * Stopwatch.Frequency);
                        lock (latencies)
                        {
                            latencies.RecordValue(Math.Max(0, ticks));
                        }

                        if (perTick.AddOrUpdate(position, 1, (_, n) => n + 1) == streams)
                        {
                            Console.WriteLine($"tick {position - 1}");
                        }
                    }
                }

                (type, id, data) = (null, null, null);
            }
        }

        // Opened a few at a time, as clients arrive, not as one SYN flood.
        var tasks = new List<Task>(streams);
        using var opening = new SemaphoreSlim(32);
        var open = 0;
        for (var i = 0; i < streams; i++)
        {
            await opening.WaitAsync();
            var released = 0;
            void Opened()
            {
                if (Interlocked.Exchange(ref released, 1) == 0)
                {
                    opening.Release();
                    if (Interlocked.Increment(ref open) == streams)
                    {
                        Console.WriteLine("open");
                    }
                }
            }

            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await StreamAsync(Opened);
                }
                catch (Exception ex)
                {
                    // Its slot goes to the next stream; the run then never says "open", and the parent gives up.
                    Console.Error.WriteLine($"a stream failed: {ex.GetType().Name}: {ex.Message}");
                    if (Interlocked.Exchange(ref released, 1) == 0)
                    {
                        opening.Release();
                    }

                    throw;
                }
            }));
        }

        await Task.WhenAll(tasks);
        var ms = (double p) => Math.Round(latencies.GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency, 3);
        Console.WriteLine(JsonSerializer.Serialize(new { events = latencies.TotalCount, p50_ms = ms(50), p99_ms = ms(99), max_ms = ms(100) }));
    }
}
