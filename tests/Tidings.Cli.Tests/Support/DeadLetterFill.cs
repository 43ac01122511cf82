using System.Globalization;
using System.Text;
using Tidings.DeadLetters;
using Tidings.Transport;

namespace Tidings.Cli.Tests.Support;

/// <summary>
/// Dead letters as the pipeline writes them: <c>test.work-item</c> messages (<c>{"seq":N}</c>, which the test worker
/// handles) that failed in the endpoint <c>work</c>, in two failure groups: even ones declined by a card gateway,
/// odd ones for lack of milk.
/// </summary>
public static class DeadLetterFill
{
    public const string Endpoint = "work";

    /// <summary>Into the SQLite bus file <paramref name="bus"/>, with the endpoint's queue declared.</summary>
    public static async Task IntoBusFileAsync(string bus, int count)
    {
        await using var transport = new Tidings.Sqlite.SqliteTransport(new Tidings.Sqlite.SqliteTransportOptions { Path = bus });
        await transport.DeclareAsync(new QueueDeclaration(Endpoint, []), TestContext.Current.CancellationToken);
        for (var start = 0; start < count; start += 500)
        {
            var batch = Enumerable.Range(start, Math.Min(500, count - start))
                .Select(i => new OutgoingMessage(Destination.Queue(DeadLetterQueues.For(Endpoint)), Failed(i))).ToList();
            await transport.SendAsync(batch, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Into a store's dead letters, as the ingestion writes them there.</summary>
    public static async Task IntoStoreAsync(IDeadLetterStore store, int count)
    {
        for (var start = 0; start < count; start += 500)
        {
            var batch = Enumerable.Range(start, Math.Min(500, count - start)).Select(i => new IngestedDeadLetter(Endpoint, Failed(i))).ToList();
            await store.IngestAsync(batch, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The failure group id of the even (declined) ones.</summary>
    public static string DeclinedGroup => FailureGroupKey.Of(Failed(0).Headers).Id;

    /// <summary>The failure group id of the odd (no milk) ones.</summary>
    public static string NoMilkGroup => FailureGroupKey.Of(Failed(1).Headers).Id;

    public static Envelope Failed(int seq)
    {
        var (type, frame, message) = seq % 2 == 0
            ? ("Billing.CardDeclinedException", "Billing.Gateway.ChargeAsync(Order order) in /src/Billing/Gateway.cs:line 42", $"card declined for order {seq}")
            : ("Kitchen.OutOfMilkException", "Kitchen.Steamer.SteamAsync(Drink drink) in /src/Kitchen/Steamer.cs:line 17", "no milk");
        var stack = new StringBuilder($"{type}: {message}\n");
        stack.Append(CultureInfo.InvariantCulture, $"   at {frame}\n");
        stack.Append("   at Tidings.Pipeline.HandlerStep.InvokeAsync(ReceiveContext context)\n");
        var at = DateTimeOffset.UtcNow.AddSeconds(-seq);
        return new Envelope
        {
            MessageId = Envelope.NewMessageId(),
            MessageName = "test.work-item",
            SentAt = at,
            Body = Encoding.UTF8.GetBytes($"{{\"seq\":{seq}}}"),
            Headers = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [TidingsHeaders.DeadLetterReason] = "handler-failed",
                [TidingsHeaders.ExceptionType] = type,
                [TidingsHeaders.ExceptionMessage] = message,
                [TidingsHeaders.ExceptionStackTrace] = stack.ToString(),
                [TidingsHeaders.Attempts] = "5",
                [TidingsHeaders.SourceQueue] = Endpoint,
                [TidingsHeaders.DeadLetteredAt] = at.ToString("O", CultureInfo.InvariantCulture),
            },
        };
    }
}
