using Microsoft.Extensions.Time.Testing;
using Tidings.Sqlite.Tests.Support;
using Tidings.Stores;
using Tidings.Transport;
using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Stores;

/// <summary>How long a parked message waits, with the store's clock driven by the test.</summary>
public sealed class ParkingTimeTests : IDisposable
{
    private static readonly OutboxBackoff Backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// However often a message was refused, it is due again at most the cap later; the relay looks at least as often as
    /// the cap, so a parked message goes at most the cap (and one look) after its queue appears.
    /// </summary>
    [Fact]
    public async Task A_parked_message_waits_longer_after_each_refusal_but_never_more_than_the_cap()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new SqliteStore(new SqliteStoreOptions { Path = _directory.File("service.db") });
        var outbox = new SqliteOutboxStore(store, time);
        await using (var transaction = await store.BeginAsync(Ct))
        {
            await outbox.AddAsync(transaction, [new OutgoingMessage(Destination.Queue("later"), TestMessages.Envelope())], Ct);
            await transaction.CommitAsync(Ct);
        }

        var waits = new List<TimeSpan>();
        for (var refusal = 0; refusal < 12; refusal++)
        {
            var entry = Assert.Single(await outbox.FetchAsync(10, Ct));
            Assert.Equal(refusal, entry.Attempts);
            await outbox.ParkAsync([entry], "no queue 'later'", Backoff, Ct);

            // Not due a moment before its wait ends; due at its end.
            var wait = TimeSpan.Zero;
            while ((await outbox.FetchAsync(10, Ct)).Count == 0)
            {
                Assert.True(wait <= Backoff.MaxDelay, $"refusal {refusal + 1}: still parked after {wait}");
                time.Advance(TimeSpan.FromMilliseconds(50));
                wait += TimeSpan.FromMilliseconds(50);
            }

            waits.Add(wait);
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), waits[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(200), waits[1]);
        Assert.Equal(TimeSpan.FromMilliseconds(400), waits[2]);
        Assert.All(waits.Skip(5), w => Assert.Equal(Backoff.MaxDelay, w));
        store.Dispose();
    }
}
