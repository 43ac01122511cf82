using System.Globalization;

namespace Tidings.Benchmarks;

/// <summary>Command-line options. Stable across issues so results can be compared over time.</summary>
internal sealed record BenchmarkOptions
{
    public string Transport { get; init; } = "sqlite";
    public string Workload { get; init; } = "throughput";
    public string Mode { get; init; } = "at-least-once";
    public int Messages { get; init; } = 20_000;
    public int Rate { get; init; } = 500;
    public int DurationSeconds { get; init; } = 10;
    public int BodyBytes { get; init; } = 200;
    public int InFlight { get; init; } = 256;
    public int Concurrency { get; init; } = 2;
    public int Prefetch { get; init; } = 100;
    public bool Durable { get; init; } = true;
    public int Processes { get; init; } = 1;
    public bool Outgoing { get; init; } = true;
    public string RabbitMq { get; init; } = "amqp://guest:guest@localhost:5672/";
    public string QueueType { get; init; } = "quorum";
    public int RoundTrips { get; init; } = 2000;
    public string Store { get; init; } = "sqlite";
    public string Postgres { get; init; } = "Host=127.0.0.1;Username=tidings;Password=tidings;Database=tidings_bench;SSL Mode=Disable";
    public int HandlerMs { get; init; }
    public int Streams { get; init; } = 1000;
    public int Changes { get; init; } = 20;
    public string? Url { get; init; }
    public string? Token { get; init; }

    /// <summary>Which options the command line gave, so a workload can pick its own defaults for the others.</summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    /// <summary>
    /// slow-handler: a few messages, one per worker at a time (the default prefetch of 100 would hand them all to the
    /// first worker), and a handler that works 200 ms before it writes.
    /// </summary>
    public BenchmarkOptions ForSlowHandler() => this with
    {
        Messages = Given.Contains("--messages") ? Messages : 48,
        Prefetch = Given.Contains("--prefetch") ? Prefetch : 1,
        HandlerMs = Given.Contains("--handler-ms") ? HandlerMs : 200,
    };

    public bool OnRabbitMq => Transport is "rabbitmq" or "raw-rabbitmq";

    /// <summary>The consuming queue: per transport and queue type, so runs of different kinds never share one.</summary>
    public string Queue(string name) => OnRabbitMq ? $"{name}-{(Transport == "raw-rabbitmq" ? "raw-" : "")}{QueueType}" : name;

    // Set by the parent for a consumer child process (--processes 2).
    public string Role { get; init; } = "main";
    public string? Directory { get; init; }
    public long Expected { get; init; }
    public int WarmUp { get; init; }

    public DeliveryMode DeliveryMode => Mode switch
    {
        "at-most-once" => DeliveryMode.AtMostOnce,
        "at-least-once" => DeliveryMode.AtLeastOnce,
        "effectively-once" => DeliveryMode.EffectivelyOnce,
        _ => throw new ArgumentException($"Unknown mode '{Mode}': at-most-once, at-least-once or effectively-once."),
    };

    public const string Usage = """
        Tidings benchmarks. One JSON object per result on stdout; logs on stderr.
          --transport sqlite|rabbitmq|raw-rabbitmq   raw-rabbitmq: RabbitMQ.Client alone, the yardstick (default sqlite)
          --rabbitmq URI    the broker (default amqp://guest:guest@localhost:5672/)
          --queue-type quorum|classic   RabbitMQ queue type (default quorum)
          --workload throughput|latency|request-reply|slow-handler|saga|http-accept|sse-fanout|dead-letters|dashboard|harness|all      default throughput
                            slow-handler: handlers that work --handler-ms before they write; msgs/s shows how many run at once
                            saga: three-step sagas (start, two replies from another endpoint, complete), --in-flight at once
                            (default 100) or started at --rate when given; msgs/s is sagas per second (default 5000 sagas)
                            http-accept: POST through MapAccepted at --rate (default 200/s) for --duration s with an
                            Idempotency-Key and as long without, in alternating one-second blocks; one line for each
                            sse-fanout: --streams live streams (default 1000) of one resource on one instance; --changes
                            state changes (default 20), each timed from the saga's handler to every stream
                            dead-letters: --messages dead letters (default 100000) in ten failure groups: the first
                            page of the list and the groups timed (median and slowest of 20), then one group replayed
                            dashboard: the dashboard's calls over HTTP (median and slowest of 20) with --messages dead
                            letters (default 100000) and 1000 saga instances, and the live stream's first state
                            harness: a Tidings.Testing test of a saga with three timeouts and a compensation, --messages
                            times (default 50): start, scenario (15 virtual minutes), dispose; median and slowest in ms
          --streams N       sse-fanout: open event streams (default 1000)
          --changes N       sse-fanout: state changes (default 20)
          --handler-ms N    how long each handler works (Task.Delay) before its write (default 0; slow-handler: 200)
          --round-trips N   request-reply: sequential round trips (default 2000)
          --store sqlite|postgres   effectively-once: the consumer's database (default sqlite)
          --postgres CONN   the PostgreSQL database (default Host=127.0.0.1;Username=tidings;Password=tidings;Database=tidings_bench;SSL Mode=Disable, created if missing; a service next to its database needs no TLS to it, which cost a third of the saga rate)
          --mode at-least-once|effectively-once|at-most-once   default at-least-once
          --messages N      throughput: messages to send (default 20000; slow-handler: 48)
          --rate R          latency: messages per second (default 500)
          --duration S      latency: seconds to run (default 10)
          --size B          body bytes (default 200)
          --in-flight N     throughput: publishes awaiting their commit at once (default 256)
          --concurrency N   endpoint workers (default 2)
          --prefetch N      messages one worker takes at once (default 100; slow-handler: 1)
          --durable true|false   synchronous=FULL (default) or NORMAL
          --processes 1|2   1: publisher and consumer in one process (default); 2: the consumer in a child process
          --outgoing true|false   effectively-once: the handler also publishes one event through the outbox (default true)
        """;

    /// <summary>The options a consumer child process needs, as arguments.</summary>
    public IEnumerable<string> ToArguments() =>
    [
        "--transport", Transport, "--mode", Mode, "--concurrency", Str(Concurrency), "--prefetch", Str(Prefetch),
        "--durable", Durable ? "true" : "false", "--outgoing", Outgoing ? "true" : "false", "--handler-ms", Str(HandlerMs),
        "--rabbitmq", RabbitMq, "--queue-type", QueueType, "--store", Store, "--postgres", Postgres,
    ];

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        var given = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--transport" => options with { Transport = value },
                "--workload" => options with { Workload = value },
                "--mode" => options with { Mode = value },
                "--messages" => options with { Messages = Int(value) },
                "--rate" => options with { Rate = Int(value) },
                "--duration" => options with { DurationSeconds = Int(value) },
                "--size" => options with { BodyBytes = Int(value) },
                "--in-flight" => options with { InFlight = Int(value) },
                "--concurrency" => options with { Concurrency = Int(value) },
                "--prefetch" => options with { Prefetch = Int(value) },
                "--durable" => options with { Durable = bool.Parse(value) },
                "--outgoing" => options with { Outgoing = bool.Parse(value) },
                "--rabbitmq" => options with { RabbitMq = value },
                "--queue-type" => options with { QueueType = value is "quorum" or "classic" ? value : throw new ArgumentException("--queue-type is quorum or classic.") },
                "--round-trips" => options with { RoundTrips = Int(value) },
                "--store" => options with { Store = value is "sqlite" or "postgres" ? value : throw new ArgumentException("--store is sqlite or postgres.") },
                "--postgres" => options with { Postgres = value },
                "--handler-ms" => options with { HandlerMs = Int(value) },
                "--streams" => options with { Streams = Int(value) > 0 ? Int(value) : throw new ArgumentException("--streams is positive.") },
                "--changes" => options with { Changes = Int(value) is > 0 and <= 45 ? Int(value) : throw new ArgumentException("--changes is 1 to 45 (a saga keeps its last 50 history entries).") },
                "--url" => options with { Url = value },
                "--token" => options with { Token = value },
                "--processes" => options with { Processes = Int(value) is 1 or 2 ? Int(value) : throw new ArgumentException("--processes is 1 or 2.") },
                "--role" => options with { Role = value },
                "--directory" => options with { Directory = value },
                "--expected" => options with { Expected = long.Parse(value, CultureInfo.InvariantCulture) },
                "--warm-up" => options with { WarmUp = Int(value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}"),
            };
            given.Add(args[i]);
            i++;
        }

        options = options with { Given = given };
        _ = options.DeliveryMode;
        if (options.Transport is not ("sqlite" or "rabbitmq" or "raw-rabbitmq"))
        {
            throw new ArgumentException($"Unknown transport '{options.Transport}': sqlite, rabbitmq or raw-rabbitmq.");
        }

        if (options.Transport == "raw-rabbitmq" && (options.Mode != "at-least-once" || options.Processes != 1))
        {
            throw new ArgumentException("raw-rabbitmq is the at-least-once yardstick in one process: durable queue, persistent messages, confirms, manual acks.");
        }

        return options;
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
