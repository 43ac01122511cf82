namespace Tidings.PostgreSql.Tests.Stores;

/// <summary>
/// A key in flight on one instance is refused on another at once (what makes the HTTP answer 409 across instances), and
/// the claim goes with its transaction, so a crash or a rollback leaves nothing claimed.
/// </summary>
public sealed class PostgreSqlIdempotencyTests : IAsyncDisposable
{
    private readonly PostgreSqlStoreFixture _fixture = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task A_key_claimed_by_an_open_transaction_is_refused_to_another_until_the_first_ends()
    {
        var first = await _fixture.Store.BeginAsync(Ct);
        try
        {
            Assert.True(await _fixture.Idempotency.TryClaimAsync(first, "user:ada", "key-1", Ct));
            Assert.True(await _fixture.Idempotency.TryClaimAsync(first, "user:ada", "x:y", Ct));

            await using var second = await _fixture.Store.BeginAsync(Ct);
            Assert.False(await _fixture.Idempotency.TryClaimAsync(second, "user:ada", "key-1", Ct));
            Assert.True(await _fixture.Idempotency.TryClaimAsync(second, "user:eve", "key-1", Ct)); // another caller's key
            Assert.True(await _fixture.Idempotency.TryClaimAsync(second, "user:ada:x", "y", Ct)); // not the same key by concatenation
        }
        finally
        {
            await first.DisposeAsync(); // rolled back: the claim is gone with it
        }

        await using var third = await _fixture.Store.BeginAsync(Ct);
        Assert.True(await _fixture.Idempotency.TryClaimAsync(third, "user:ada", "key-1", Ct));
    }

    [Fact]
    public async Task Two_services_in_one_database_never_hold_each_others_keys()
    {
        // Advisory locks belong to the database; each service keeps its tables in a schema of its own.
        await using var other = new PostgreSqlStoreFixture();
        await using var mine = await _fixture.Store.BeginAsync(Ct);
        await using var theirs = await other.Store.BeginAsync(Ct);
        Assert.True(await _fixture.Idempotency.TryClaimAsync(mine, "user:ada", "key-1", Ct));
        Assert.True(await other.Idempotency.TryClaimAsync(theirs, "user:ada", "key-1", Ct));
        Assert.True((await other.Idempotency.ClaimAsync(theirs, "user:ada", "key-2", Ct)).Claimed);
        await using var mineAgain = await _fixture.Store.BeginAsync(Ct);
        Assert.False((await _fixture.Idempotency.ClaimAsync(mineAgain, "user:ada", "key-1", Ct)).Claimed); // still held in its own schema
    }
}
