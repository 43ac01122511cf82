using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tidings.Stores;
using Tidings.Transport.InMemory;
using Xunit;

namespace Tidings.Transport.Contracts;

[MessageName("contract.parcel")]
public sealed record Parcel(string Label);

/// <summary>Outbox messages no queue receives yet are parked, and never hold up the others.</summary>
public abstract partial class StoreContract<TFixture>
{
    private static readonly OutboxBackoff LongWait = new(TimeSpan.FromHours(1), TimeSpan.FromHours(1));
    private static readonly OutboxBackoff NoWait = new(TimeSpan.Zero, TimeSpan.Zero);

    [Fact]
    public async Task A_parked_message_is_left_out_of_reads_until_its_wait_ends_and_keeps_its_attempts()
    {
        await using (var transaction = await Fixture.Store.BeginAsync(Ct))
        {
            await Fixture.Outbox.AddAsync(transaction, [ToQueue("parked long"), ToQueue("parked briefly"), ToQueue("fresh")], Ct);
            await transaction.CommitAsync(Ct);
        }

        var all = await Fixture.Outbox.FetchAsync(10, Ct);
        Assert.All(all, e => Assert.Equal(0, e.Attempts));
        await Fixture.Outbox.ParkAsync([all[0]], "no queue 'a'", LongWait, Ct);
        await Fixture.Outbox.ParkAsync([all[1]], "no queue 'b'", NoWait, Ct);

        // The one parked for an hour no longer comes first: a read of one gets past it.
        var next = Assert.Single(await Fixture.Outbox.FetchAsync(1, Ct));
        Assert.Equal("parked briefly", Body(next));
        Assert.Equal(1, next.Attempts);
        Assert.Equal(["parked briefly", "fresh"], (await Fixture.Outbox.FetchAsync(10, Ct)).Select(Body));

        await Fixture.Outbox.ParkAsync([next with { Attempts = 1 }], "no queue 'b'", NoWait, Ct);
        Assert.Equal(2, (await Fixture.Outbox.FetchAsync(10, Ct)).Single(e => Body(e) == "parked briefly").Attempts);

        var parked = await Fixture.Outbox.CountParkedAsync(Ct);
        Assert.Equal(2, parked.Count);
        Assert.Equal(all[0].Message.Envelope.SentAt.ToUnixTimeMilliseconds(), parked.OldestSentAt!.Value.ToUnixTimeMilliseconds());

        await Fixture.Outbox.RemoveAsync(all, Ct);
        Assert.Equal(ParkedMessages.None, await Fixture.Outbox.CountParkedAsync(Ct));
    }

    /// <summary>
    /// More unroutable messages than the relay reads in one pass, committed before messages to a queue that is declared
    /// only after the commit: those are sent once it exists, whatever the others do, and the others stay parked.
    /// </summary>
    [Fact]
    public async Task Messages_no_queue_receives_are_parked_and_never_hold_up_messages_whose_queue_appears_later()
    {
        var transport = new InMemoryTransport();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTidings(t =>
        {
            t.UseInMemoryTransport(transport);
            t.AddMessage<Parcel>();
            Fixture.UseStore(t);
            t.Configure(o =>
            {
                o.OutboxBatchSize = 100;
                o.OutboxPollInterval = TimeSpan.FromMilliseconds(100);
                o.OutboxMaxRetryDelay = TimeSpan.FromMilliseconds(500);
            });
        });
        using var host = builder.Build();
        await host.StartAsync(Ct);
        var sessions = host.Services.GetRequiredService<ITransactionalSessionFactory>();

        for (var i = 0; i < 6; i++)
        {
            await using var session = await sessions.BeginAsync(Ct);
            for (var j = 0; j < 100; j++)
            {
                await session.SendAsync("nowhere", new Parcel($"lost {(i * 100) + j}"), cancellationToken: Ct);
            }

            await session.CommitAsync(Ct);
        }

        await using (var session = await sessions.BeginAsync(Ct))
        {
            for (var j = 0; j < 50; j++)
            {
                await session.SendAsync("later", new Parcel($"late {j}"), cancellationToken: Ct);
            }

            await session.CommitAsync(Ct);
        }

        // Every message was refused at least once: the 50 as well, because their queue did not exist yet.
        await Effects.WaitForAsync(async () => (await Fixture.Outbox.CountParkedAsync(Ct)).Count == 650, TimeSpan.FromSeconds(30), () => "parked messages did not reach 650");

        await transport.DeclareAsync(new QueueDeclaration("later", []), Ct);
        await using var receiver = transport.CreateReceiver("later", new ReceiverSettings(TimeSpan.FromSeconds(30)));
        var received = await receiver.DrainAsync(50, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 50).Select(j => $"late {j}"),
            received.Select(m => System.Text.Json.JsonDocument.Parse(m.Envelope.Body).RootElement.GetProperty("label").GetString()));

        await Effects.WaitForAsync(async () => (await Fixture.Outbox.CountParkedAsync(Ct)).Count == 600, TimeSpan.FromSeconds(30), () => "parked messages did not reach 600");
        var left = await Fixture.Outbox.CountParkedAsync(Ct);
        Assert.Equal(600, left.Count);
        await host.StopAsync(Ct);
    }
}
