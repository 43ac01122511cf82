namespace Tidings.Tests.Endpoints;

public sealed class RetryPolicyTests
{
    [Fact]
    public void Redelivery_delays_grow_exponentially_up_to_the_cap()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10), Jitter = 0 };
        Assert.Equal(TimeSpan.FromSeconds(1), policy.DelayFor(0));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayFor(1));
        Assert.Equal(TimeSpan.FromSeconds(4), policy.DelayFor(2));
        Assert.Equal(TimeSpan.FromSeconds(10), policy.DelayFor(5));
        Assert.Equal(TimeSpan.FromSeconds(10), policy.DelayFor(100));
    }

    [Fact]
    public void Jitter_spreads_delays_within_its_fraction()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), Jitter = 0.2 };
        var delays = Enumerable.Range(0, 200).Select(_ => policy.DelayFor(0).TotalMilliseconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 800, 1200));
        Assert.True(delays.Distinct().Count() > 10, "jitter should vary the delays");
    }
}
