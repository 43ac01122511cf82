// A service process for the process tests. Its bus is the SQLite file --bus B, or RabbitMQ at --rabbitmq URI
// (used in place of --bus below). Its database is the SQLite file --db D, or PostgreSQL: --postgres CONN --schema S
// [--claim-ms N] in place of --db (commit-and-crash and relay only). Roles:
//   consume          --bus B --db D --mode at-least-once|effectively-once [--lease-seconds 2] [--handler-delay-ms 1]
//   publish          --bus B --count N
//   commit-and-crash --bus B --db D --seq S    (the bus unreachable: commits a business row and an outbox message, then kills itself)
//   commit-loop      --bus B --db D            (commits a business row and an outbox message per transaction, until killed)
//   relay            --bus B --db D            (a restarted service: its outbox relay runs)
//   request          --bus B --to Q [--temporary-expiry-ms N]   (makes a request no one answers, so its reply queue exists; prints "ready")
//   deadline         --bus B --db D            (an effectively-once endpoint "deadlines" with DeadlineSaga: its timeouts write the effects)
//   http             --bus B --db D            (POST /work accepts a WorkItem with an Idempotency-Key; X-Crash: before-commit|after-commit kills it there; prints "listening URL")
// A running role stops gracefully when its standard input closes.
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings;
using Tidings.PostgreSql;
using Tidings.RabbitMQ;
using Tidings.Sqlite;
using Tidings.TestWorker;

var role = args[0];
var options = Arguments.Parse(args.Skip(1));
if (role == "http")
{
    await HttpRole.RunAsync(options);
    return;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
builder.Services.AddTidings(t => Bus.Configure(t, role, options));
builder.Services.AddSingleton(new HandlerSettings(int.Parse(options.GetValueOrDefault("handler-delay-ms", "1"), System.Globalization.CultureInfo.InvariantCulture)));

using var host = builder.Build();
switch (role)
{
    case "consume":
        Effects.Create(host.Services.GetRequiredService<SqliteStore>());
        await RunUntilStdinClosesAsync(host);
        break;

    case "publish":
        await PublishAsync(host.Services.GetRequiredService<IBus>(), int.Parse(options["count"], System.Globalization.CultureInfo.InvariantCulture));
        break;

    case "commit-and-crash":
        await CommitAndCrashAsync(host.Services, int.Parse(options["seq"], System.Globalization.CultureInfo.InvariantCulture));
        break;

    case "commit-loop":
        await CommitLoopAsync(host.Services);
        break;

    case "relay":
        await RunUntilStdinClosesAsync(host);
        break;

    case "deadline":
        Effects.Create(host.Services.GetRequiredService<SqliteStore>());
        await RunUntilStdinClosesAsync(host);
        break;

    case "request":
        await host.StartAsync();
        await RequestUnansweredAsync(host.Services.GetRequiredService<IBus>(), options["to"]);
        Console.WriteLine("ready");
        await Task.Run(() => Console.In.ReadToEnd());
        await host.StopAsync();
        break;

    default:
        throw new ArgumentException($"Unknown role '{role}'.");
}

static async Task RunUntilStdinClosesAsync(IHost host)
{
    await host.StartAsync();
    Console.WriteLine("ready");
    await Task.Run(() => Console.In.ReadToEnd());
    await host.StopAsync();
}

static async Task RequestUnansweredAsync(IBus bus, string queue)
{
    try
    {
        await bus.RequestAsync<WorkItem, WorkItem>(queue, new WorkItem(1), new RequestOptions { Timeout = TimeSpan.FromMilliseconds(200) });
    }
    catch (TimeoutException)
    {
        // Expected: no one answers. The reply queue stays for as long as the process lives.
    }
}

static async Task PublishAsync(IBus bus, int count)
{
    // Many publishes in flight at once: each completes when its message is durably stored.
    const int window = 64;
    var inFlight = new List<Task>(window);
    for (var seq = 0; seq < count; seq++)
    {
        inFlight.Add(bus.PublishAsync(new WorkItem(seq)).AsTask());
        if (inFlight.Count == window)
        {
            await Task.WhenAll(inFlight);
            inFlight.Clear();
        }
    }

    await Task.WhenAll(inFlight);
    Console.WriteLine($"published {count}");
}

static async Task CommitAndCrashAsync(IServiceProvider services, int seq)
{
    await Effects.CreateAsync(services);

    // The bus is unreachable when the transaction commits, so the message cannot leave right away...
    await services.GetRequiredService<Tidings.Transport.ITransport>().DisposeAsync();
    await CommitOrderAsync(services, seq);
    Console.WriteLine("committed");
    Console.Out.Flush();

    // ...and the process dies before any relay ran: the message is only in the outbox.
    Process.GetCurrentProcess().Kill();
}

static async Task CommitLoopAsync(IServiceProvider services)
{
    await Effects.CreateAsync(services);
    for (var seq = 0; ; seq++)
    {
        await CommitOrderAsync(services, seq);
        Console.WriteLine($"committed {seq}");
    }
}

static async Task CommitOrderAsync(IServiceProvider services, int seq)
{
    await using var session = await services.GetRequiredService<ITransactionalSessionFactory>().BeginAsync();
    await using var insert = session.Connection.CreateCommand();
    insert.Transaction = session.Transaction;
    var postgres = session.Connection is Npgsql.NpgsqlConnection;
    insert.CommandText = postgres ? "INSERT INTO effects (seq, message_id) VALUES ($1, 'order')" : "INSERT INTO effects (seq, message_id) VALUES ($seq, 'order')";
    var parameter = insert.CreateParameter();
    parameter.ParameterName = postgres ? "" : "$seq";
    parameter.Value = seq;
    insert.Parameters.Add(parameter);
    await insert.ExecuteNonQueryAsync();
    await session.PublishAsync(new WorkItem(seq));
    await session.CommitAsync();
}
