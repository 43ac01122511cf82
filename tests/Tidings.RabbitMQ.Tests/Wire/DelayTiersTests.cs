using Tidings.RabbitMQ.Topology;
using Tidings.Transport;

namespace Tidings.RabbitMQ.Tests.Wire;

public sealed class DelayTiersTests
{
    [Theory]
    [InlineData(0, null)]
    [InlineData(63, null)]
    [InlineData(64, 64L)]
    [InlineData(800, 512L)]
    [InlineData(1500, 1024L)]
    [InlineData(60_000, 32_768L)]
    public void A_delay_waits_in_the_longest_tier_that_does_not_overshoot(int milliseconds, long? tier) =>
        Assert.Equal(tier, DelayTiers.TierFor(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void A_delay_longer_than_the_longest_tier_passes_through_it_repeatedly() =>
        Assert.Equal(1L << DelayTiers.LongestExponent, DelayTiers.TierFor(TimeSpan.FromDays(90)));

    [Fact]
    public void Following_the_tiers_never_delivers_early_and_takes_one_hop_per_set_bit()
    {
        var remaining = TimeSpan.FromMilliseconds(123_456);
        var hops = 0;
        while (DelayTiers.TierFor(remaining) is { } tier)
        {
            remaining -= TimeSpan.FromMilliseconds(tier);
            Assert.True(remaining >= TimeSpan.Zero);
            hops++;
        }

        Assert.True(remaining < TimeSpan.FromMilliseconds(64));
        Assert.Equal(System.Numerics.BitOperations.PopCount(123_456 >> 6), hops);
    }

    [Theory]
    [InlineData("queue:orders.deadletter")]
    [InlineData("topic:coffee.order-placed")]
    public void A_delayed_destination_round_trips_through_its_header(string text)
    {
        Assert.True(DelayedDestination.TryParse(text, out var destination));
        Assert.Equal(text, DelayedDestination.Format(destination));
    }

    [Theory]
    [InlineData("")]
    [InlineData("queue:")]
    [InlineData("exchange:x")]
    [InlineData("orders")]
    public void A_malformed_destination_is_refused(string text) =>
        Assert.False(DelayedDestination.TryParse(text, out _));

    [Fact]
    public void Topic_and_queue_destinations_stay_apart()
    {
        Assert.True(DelayedDestination.TryParse("topic:x", out var topic));
        Assert.Equal(Destination.Topic("x"), topic);
    }
}
