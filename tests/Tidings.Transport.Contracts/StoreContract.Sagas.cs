using Tidings.Stores;
using Xunit;

namespace Tidings.Transport.Contracts;

/// <summary>What every store promises for saga state and idempotency keys.</summary>
public abstract partial class StoreContract<TFixture>
{
    [Fact]
    public async Task A_saga_is_started_found_changed_and_finished_in_units_of_work()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Null(await Fixture.Sagas.FindAsync(transaction, "order", "cup-7", Ct));
            var started = await Fixture.Sagas.InsertAsync(transaction, "order", "cup-7", """{"step":"placed"}""", Ct);
            Assert.Equal(1, started.Version);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var found = await Fixture.Sagas.FindAsync(transaction, "order", "cup-7", Ct);
            Assert.NotNull(found);
            Assert.Contains("placed", found.Data, StringComparison.Ordinal);
            Assert.Null(await Fixture.Sagas.FindAsync(transaction, "refund", "cup-7", Ct)); // another saga, same correlation
            var paid = await Fixture.Sagas.UpdateAsync(transaction, found, """{"step":"paid"}""", Ct);
            Assert.Equal(2, paid.Version);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var found = await Fixture.Sagas.FindAsync(transaction, "order", "cup-7", Ct);
            Assert.Equal(2, found!.Version);
            Assert.Contains("paid", found.Data, StringComparison.Ordinal);
            await Fixture.Sagas.DeleteAsync(transaction, found, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Null(await Fixture.Sagas.FindAsync(transaction, "order", "cup-7", Ct));
        }
    }

    [Fact]
    public async Task A_saga_started_twice_or_changed_from_a_stale_read_is_refused_and_a_rolled_back_start_is_forgotten()
    {
        SagaState stale;
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            stale = await Fixture.Sagas.InsertAsync(transaction, "order", "cup-8", "{}", Ct);
            await Assert.ThrowsAsync<SagaConcurrencyException>(() => Fixture.Sagas.InsertAsync(transaction, "order", "cup-8", "{}", Ct));
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Null(await Fixture.Sagas.FindAsync(transaction, "order", "cup-8", Ct)); // the start rolled back
            stale = await Fixture.Sagas.InsertAsync(transaction, "order", "cup-8", "{}", Ct);
            await Fixture.Sagas.UpdateAsync(transaction, stale, """{"n":1}""", Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Assert.ThrowsAsync<SagaConcurrencyException>(() => Fixture.Sagas.UpdateAsync(transaction, stale, """{"n":2}""", Ct));
            await Assert.ThrowsAsync<SagaConcurrencyException>(() => Fixture.Sagas.DeleteAsync(transaction, stale, Ct));
        }
    }

    [Fact]
    public async Task Saga_instances_are_read_together_and_written_together_in_order_and_a_stale_write_refuses_them_all()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            // Started, changed twice and one removed, in one call: each write sees the one before it.
            await Fixture.Sagas.WriteAsync(transaction,
            [
                new SagaWrite(SagaWriteKind.Insert, "order", "cup-a", """{"n":1}""", 0),
                new SagaWrite(SagaWriteKind.Insert, "order", "cup-b", """{"n":1}""", 0),
                new SagaWrite(SagaWriteKind.Update, "order", "cup-a", """{"n":2}""", 1),
                new SagaWrite(SagaWriteKind.Update, "order", "cup-a", """{"n":3}""", 2),
                new SagaWrite(SagaWriteKind.Insert, "order", "cup-c", """{"n":1}""", 0),
                new SagaWrite(SagaWriteKind.Delete, "order", "cup-c", null, 1),
            ], Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var found = await Fixture.Sagas.FindManyAsync(transaction, "order", ["cup-c", "cup-b", "cup-a", "cup-z"], Ct);
            Assert.Equal([("cup-a", 3L), ("cup-b", 1L)], found.Select(f => (f.CorrelationId, f.Version)).OrderBy(f => f.CorrelationId));
            Assert.Contains("3", found.Single(f => f.CorrelationId == "cup-a").Data, StringComparison.Ordinal);
            Assert.Empty(await Fixture.Sagas.FindManyAsync(transaction, "refund", ["cup-a"], Ct));
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            // The second write read an older version: the call is refused, and none of it commits with the transaction.
            await Assert.ThrowsAsync<SagaConcurrencyException>(() => Fixture.Sagas.WriteAsync(transaction,
            [
                new SagaWrite(SagaWriteKind.Update, "order", "cup-b", """{"n":2}""", 1),
                new SagaWrite(SagaWriteKind.Update, "order", "cup-a", """{"n":4}""", 2),
            ], Ct));
            await Assert.ThrowsAsync<SagaConcurrencyException>(() => Fixture.Sagas.WriteAsync(transaction,
                [new SagaWrite(SagaWriteKind.Insert, "order", "cup-b", "{}", 0)], Ct));
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Equal(1, (await Fixture.Sagas.FindAsync(transaction, "order", "cup-b", Ct))!.Version);
            await Fixture.Sagas.WriteAsync(transaction, [], Ct);
        }
    }

    [Fact]
    public async Task The_versions_of_watched_instances_are_read_together_outside_any_unit_of_work_and_only_committed_changes_show()
    {
        SagaState first;
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            first = await Fixture.Sagas.InsertAsync(transaction, "order", "cup-40", "{}", Ct);
            await Fixture.Sagas.InsertAsync(transaction, "order", "cup-41", "{}", Ct);
            await Fixture.Sagas.InsertAsync(transaction, "refund", "cup-42", "{}", Ct); // another saga's
            await transaction.CommitAsync(Ct);
        }

        var versions = await Fixture.Sagas.ReadVersionsAsync("order", ["cup-40", "cup-41", "cup-42", "cup-43"], Ct);
        Assert.Equal([("cup-40", 1L), ("cup-41", 1L)], versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => (v.Key, v.Value)));

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Sagas.UpdateAsync(transaction, first, """{"n":1}""", Ct); // and rolled back
        }

        Assert.Equal(1, (await Fixture.Sagas.ReadVersionsAsync("order", ["cup-40"], Ct))["cup-40"]);
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Sagas.UpdateAsync(transaction, first, """{"n":1}""", Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(2, (await Fixture.Sagas.ReadVersionsAsync("order", ["cup-40"], Ct))["cup-40"]);
    }

    [Fact]
    public async Task An_idempotency_record_exists_only_if_its_transaction_commits_and_only_for_its_own_caller()
    {
        var now = DateTimeOffset.UtcNow;
        var record = new IdempotencyRecord("ada", "key-1", "fp-1", 202, "/orders/7", "application/json", "{\"id\":7}"u8.ToArray(), now, now.AddHours(24));
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.True(await Fixture.Idempotency.TryClaimAsync(transaction, "ada", "key-1", Ct));
            await Fixture.Idempotency.RecordAsync(transaction, record, Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Null(await Fixture.Idempotency.FindAsync(transaction, "ada", "key-1", Ct)); // rolled back: no key
            await Fixture.Idempotency.RecordAsync(transaction, record, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            var found = await Fixture.Idempotency.FindAsync(transaction, "ada", "key-1", Ct);
            Assert.NotNull(found);
            Assert.Equal((202, "/orders/7", "application/json", "fp-1"), (found.StatusCode, found.Location, found.ContentType, found.Fingerprint));
            Assert.Equal(record.Body, found.Body);
            Assert.Null(await Fixture.Idempotency.FindAsync(transaction, "bob", "key-1", Ct)); // another caller's key is another key
            await Assert.ThrowsAsync<IdempotencyKeyTakenException>(() => Fixture.Idempotency.RecordAsync(transaction, record with { Fingerprint = "fp-2" }, Ct));
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            // Recorded at the commit: refused there by a store that defers the write to it, and nothing commits.
            await Assert.ThrowsAsync<IdempotencyKeyTakenException>(async () =>
            {
                await Fixture.Idempotency.RecordAtCommitAsync(transaction, record with { Fingerprint = "fp-3" }, Ct);
                await transaction.CommitAsync(Ct);
            });
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Equal("fp-1", (await Fixture.Idempotency.FindAsync(transaction, "ada", "key-1", Ct))?.Fingerprint);
        }

        // An expired record is not found, is replaced by a new request, and is purged.
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Idempotency.RecordAsync(transaction, record with { Key = "old", CreatedAt = now, ExpiresAt = now.AddMilliseconds(1) }, Ct);
            await transaction.CommitAsync(Ct);
        }

        await ExpiredAsync("ada", "old");

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            // A new request with the expired key takes it over: its own response is the one kept.
            await Fixture.Idempotency.RecordAsync(transaction, record with { Key = "old", Fingerprint = "fp-new", CreatedAt = now, ExpiresAt = now.AddHours(1) }, Ct);
            await transaction.CommitAsync(Ct);
        }

        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.Equal("fp-new", (await Fixture.Idempotency.FindAsync(transaction, "ada", "old", Ct))?.Fingerprint);
            // Written by the commit, where a store may defer it (and no outbox message rides along here).
            await Fixture.Idempotency.RecordAtCommitAsync(transaction, record with { Key = "gone", CreatedAt = now, ExpiresAt = now.AddMilliseconds(1) }, Ct);
            await transaction.CommitAsync(Ct);
        }

        await ExpiredAsync("ada", "gone");
        Assert.Equal(1, await Fixture.Idempotency.PurgeExpiredAsync(Ct));
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            Assert.NotNull(await Fixture.Idempotency.FindAsync(transaction, "ada", "key-1", Ct));
        }
    }

    /// <summary>Waits until the store's clock has passed the record's expiry (a millisecond after it was made).</summary>
    private Task ExpiredAsync(string scope, string key) => Effects.WaitForAsync(async () =>
    {
        await using var transaction = await Fixture.Store.BeginAsync(Ct);
        return await Fixture.Idempotency.FindAsync(transaction, scope, key, Ct) is null;
    }, TimeSpan.FromSeconds(10), () => $"the record of '{key}' did not expire");
}
