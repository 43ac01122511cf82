using System.Text;
using Tidings.Transport;

namespace Tidings.Transport.Contracts;

/// <summary>Envelopes and receive helpers for the contract tests.</summary>
public static class TestMessages
{
    public static Envelope Envelope(string name = "test.message", string body = "{}", string? correlationId = null) => new()
    {
        MessageId = Tidings.Envelope.NewMessageId(),
        MessageName = name,
        CorrelationId = correlationId ?? "corr-" + Guid.NewGuid().ToString("N"),
        CausationId = "cause-1",
        SentAt = DateTimeOffset.UtcNow,
        Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["x-test"] = "yes" },
        Body = Encoding.UTF8.GetBytes(body),
    };

    public static string BodyText(this ReceivedMessage message) => Encoding.UTF8.GetString(message.Envelope.Body.Span);

    /// <summary>Receives one batch, or an empty list if nothing arrives within <paramref name="timeout"/>.</summary>
    public static async Task<IReadOnlyList<ReceivedMessage>> ReceiveWithin(this IMessageReceiver receiver, TimeSpan timeout, int max = 10)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Xunit.TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await receiver.ReceiveAsync(max, cts.Token);
        }
        catch (OperationCanceledException) when (!Xunit.TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return [];
        }
    }

    /// <summary>Receives and acks until <paramref name="count"/> messages arrived or <paramref name="timeout"/> passed.</summary>
    public static async Task<List<ReceivedMessage>> DrainAsync(this IMessageReceiver receiver, int count, TimeSpan timeout)
    {
        var all = new List<ReceivedMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (all.Count < count && DateTime.UtcNow < deadline)
        {
            var batch = await receiver.ReceiveWithin(deadline - DateTime.UtcNow, 50);
            all.AddRange(batch);
            await receiver.SettleAsync(batch.Select(Settlement.Ack).ToList());
        }

        return all;
    }
}
