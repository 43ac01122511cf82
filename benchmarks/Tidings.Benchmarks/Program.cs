using Tidings.Benchmarks;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

if (options.Role == "consumer")
{
    await BenchRig.RunConsumerAsync(options);
    return 0;
}

if (options.Role == "sse-clients")
{
    await SseClientProcess.RunClientsAsync(options);
    return 0;
}

if (options.Workload == "sse-fanout")
{
    await SseFanoutWorkload.RunAsync(options);
    return 0;
}

if (options.Workload == "dead-letters")
{
    await DeadLetterWorkload.RunAsync(options);
    return 0;
}

if (options.Workload == "dashboard")
{
    await DashboardWorkload.RunAsync(options);
    return 0;
}

if (options.Workload == "harness")
{
    await HarnessWorkload.RunAsync(options);
    return 0;
}

if (options.Workload == "http-accept")
{
    await HttpAcceptWorkload.RunAsync(options);
    return 0;
}

var workloads = options.Workload == "all" ? new[] { "throughput", "latency", "request-reply" } : [options.Workload];
foreach (var workload in workloads)
{
    var result = workload switch
    {
        "throughput" => await Workloads.ThroughputAsync(options),
        "latency" => await Workloads.LatencyAsync(options),
        "request-reply" => await Workloads.RequestReplyAsync(options),
        "slow-handler" => await Workloads.SlowHandlerAsync(options.ForSlowHandler()),
        "saga" => await SagaWorkload.RunAsync(options),
        _ => throw new ArgumentException($"Unknown workload '{workload}': throughput, latency, request-reply, slow-handler, saga or all."),
    };
    Console.WriteLine(result.ToJson());
}

return 0;
