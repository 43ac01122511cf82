using System.Text;
using Tidings.DeadLetters;

namespace Tidings.Tests.DeadLetters;

public sealed class DeadLetterReplayTests
{
    private static readonly Guid Id = Guid.NewGuid();

    [Fact]
    public void A_replayed_message_keeps_its_id_body_correlation_and_trace_and_counts_the_replay()
    {
        var replayed = DeadLetterReplay.Prepare(DeadLettered());

        Assert.Equal(Id, replayed.MessageId);
        Assert.Equal("coffeeshop.order-placed", replayed.MessageName);
        Assert.Equal("order-7", replayed.CorrelationId);
        Assert.Equal("cause-1", replayed.CausationId);
        Assert.Equal("""{"orderId":"Ada-1"}""", Encoding.UTF8.GetString(replayed.Body.Span));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", replayed.Headers[TidingsHeaders.TraceParent]);
        Assert.Equal("1", replayed.Headers[TidingsHeaders.ReplayCount]);
        Assert.Equal(2, DeadLetterReplay.CountOf(DeadLetterReplay.Prepare(replayed))); // replayed again, if it fails again
    }

    [Fact]
    public void A_replayed_message_forgets_its_failure_and_its_deliveries_or_it_would_be_dead_lettered_again_at_once()
    {
        var replayed = DeadLetterReplay.Prepare(DeadLettered());

        foreach (var forgotten in new[]
        {
            TidingsHeaders.DeadLetterReason, TidingsHeaders.ExceptionType, TidingsHeaders.ExceptionMessage, TidingsHeaders.ExceptionStackTrace,
            TidingsHeaders.Attempts, TidingsHeaders.SourceQueue, TidingsHeaders.DeadLetteredAt, TidingsHeaders.Redeliveries, "x-death", "x-delivery-count",
        })
        {
            Assert.False(replayed.Headers.ContainsKey(forgotten), $"{forgotten} was kept");
        }
    }

    [Fact]
    public void A_dead_letter_reads_its_failure_from_its_headers()
    {
        var dead = DeadLetter.Of("row-9", DeadLettered());

        Assert.Equal("counter", dead.Endpoint);
        Assert.Equal("handler-failed", dead.Reason);
        Assert.Equal("System.InvalidOperationException", dead.ExceptionType);
        Assert.Equal("declined", dead.ExceptionMessage);
        Assert.Equal(5, dead.Attempts);
        Assert.Equal(0, dead.ReplayCount);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 9, 30, 0, TimeSpan.Zero), dead.DeadLetteredAt);
        Assert.Equal(new FailureGroupKey("handler-failed", "System.InvalidOperationException", "Shop.Cashier.Charge(Order order)"), dead.Group);
    }

    [Fact]
    public void A_message_that_starts_its_own_conversation_still_does_after_a_replay()
    {
        var own = new Envelope { MessageId = Id, MessageName = "x", Headers = null };

        var replayed = DeadLetterReplay.Prepare(own);

        Assert.Null(replayed.CorrelationIdToCarry);
        Assert.Equal(Id.ToString(), replayed.CorrelationId);
    }

    private static Envelope DeadLettered() => new()
    {
        MessageId = Id,
        MessageName = "coffeeshop.order-placed",
        CorrelationId = "order-7",
        CausationId = "cause-1",
        SentAt = new DateTimeOffset(2026, 12, 2, 9, 29, 0, TimeSpan.Zero),
        Body = Encoding.UTF8.GetBytes("""{"orderId":"Ada-1"}"""),
        Headers = new Dictionary<string, string>
        {
            [TidingsHeaders.TraceParent] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            [TidingsHeaders.DeadLetterReason] = "handler-failed",
            [TidingsHeaders.ExceptionType] = "System.InvalidOperationException",
            [TidingsHeaders.ExceptionMessage] = "declined",
            [TidingsHeaders.ExceptionStackTrace] = "System.InvalidOperationException: declined\n   at Shop.Cashier.Charge(Order order) in /src/Cashier.cs:line 12\n   at Tidings.Pipeline.Steps.InvokeHandlersStep.ProcessAsync()",
            [TidingsHeaders.Attempts] = "5",
            [TidingsHeaders.SourceQueue] = "counter",
            [TidingsHeaders.DeadLetteredAt] = "2026-12-02T09:30:00.0000000+00:00",
            [TidingsHeaders.Redeliveries] = "3",
            ["x-death"] = "[...]",
            ["x-delivery-count"] = "4",
        },
    };
}
