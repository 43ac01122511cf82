using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Tidings.Cli;
using Tidings.Cli.Dashboard;
using Tidings.Cli.DeadLetters;
using Tidings.Cli.Operations;

if (Console.IsOutputRedirected)
{
    // Piped or captured: a table as wide as COLUMNS says, or wide enough not to wrap ids and names (not a guessed 80).
    AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns >= 40
        ? columns : 200;
}

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("tidings");
    config.PropagateExceptions();
    config.UseStrictParsing();
    config.AddBranch("dead-letters", branch =>
    {
        branch.SetDescription("Messages that failed: list them, group them by failure, show one, replay or purge them.");
        branch.AddCommand<GroupsCommand>("groups").WithDescription("Dead letters grouped by exception and the first frame in your code, with count and first and last time.")
            .WithExample("dead-letters", "groups", "--bus", "data/bus.db");
        branch.AddCommand<ListCommand>("list").WithDescription("Dead letters, newest first, a page at a time; filter by endpoint, reason, exception, message, time, group.")
            .WithExample("dead-letters", "list", "--endpoint", "cashier", "--since", "2h");
        branch.AddCommand<ShowCommand>("show").WithDescription("One dead letter: its headers, body, exception and stack, attempts and replays.");
        branch.AddCommand<ReplayCommand>("replay").WithDescription("Send dead letters back to the queues they failed in (asks first unless --yes).")
            .WithExample("dead-letters", "replay", "--group", "3f9a1c2b7d4e", "--yes");
        branch.AddCommand<PurgeCommand>("purge").WithDescription("Remove dead letters for good (asks first unless --yes).");
    });
    config.AddCommand<QueuesCommand>("queues").WithDescription("Each queue: messages waiting and in flight, dead letters, the oldest waiting, consumers.")
        .WithExample("queues", "--bus", "data/bus.db");
    config.AddBranch("outbox", branch =>
    {
        branch.SetDescription("The service's store: its outbox backlog, parked messages (with why), schedules and sagas; retry or purge parked messages.");
        branch.SetDefaultCommand<OutboxCommand>();
        branch.AddCommand<OutboxRetryCommand>("retry").WithDescription("Make parked messages due now: the service's relay sends them on its next pass.");
        branch.AddCommand<OutboxPurgeCommand>("purge").WithDescription("Remove parked messages for good (asks first unless --yes).");
    });
    config.AddBranch("scheduled", branch =>
    {
        branch.SetDescription("Scheduled messages not sent yet.");
        branch.AddCommand<ScheduledListCommand>("list").WithDescription("Scheduled messages, soonest first.");
        branch.AddCommand<ScheduledCancelCommand>("cancel").WithDescription("Cancel one: it is not sent (asks first unless --yes).");
    });
    config.AddCommand<DashboardCommand>("dashboard").WithDescription("The dashboard in a browser, beside the services: failures, queues, sagas, scheduled messages (this machine only).")
        .WithExample("dashboard", "--bus", "data/bus.db", "--db", "data/counter.db");
    config.AddBranch("sagas", branch =>
    {
        branch.SetDescription("Long-running processes: their instances by status, and one instance's state and history.");
        branch.AddCommand<SagaListCommand>("list").WithDescription("Without a saga, every saga's instances by status; with one, its instances, newest first.");
        branch.AddCommand<SagaShowCommand>("show").WithDescription("One instance: its state, pending timeouts, compensations and history.");
    });
});

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops between batches (each batch is whole or not at all); a second one ends the process.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};

try
{
    return await app.RunAsync(args, cancel.Token);
}
catch (Exception ex)
{
    var (code, message) = ToolErrors.Explain(ex, cancel.IsCancellationRequested);
    Console.Error.WriteLine($"tidings: {message}");
    return code;
}
