using Microsoft.EntityFrameworkCore;

namespace Tidings.EntityFrameworkCore.Tests;

[MessageName("ef-test.charge")]
public sealed record Charge(int OrderId, int Cents);

[MessageName("ef-test.charged")]
public sealed record Charged(int OrderId);

public sealed class Payment
{
    public long Id { get; set; }

    public int OrderId { get; set; }

    public int Cents { get; set; }
}

/// <summary>The service's own model. Table and columns are named for both providers alike.</summary>
public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public DbSet<Payment> Payments => Set<Payment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var payment = modelBuilder.Entity<Payment>().ToTable("payments");
        payment.Property(p => p.Id).HasColumnName("id");
        payment.Property(p => p.OrderId).HasColumnName("order_id");
        payment.Property(p => p.Cents).HasColumnName("cents");
    }
}

/// <summary>
/// Adds a payment through the DbContext (no SaveChanges: the unit of work saves it) and publishes an event. A negative
/// amount is declined after the payment was written with SaveChanges and the event staged.
/// </summary>
public sealed class ChargeHandler(ShopDb db) : IHandleMessages<Charge>
{
    public async Task HandleAsync(Charge message, IMessageContext context, CancellationToken cancellationToken)
    {
        db.Payments.Add(new Payment { OrderId = message.OrderId, Cents = message.Cents });
        await context.PublishAsync(new Charged(message.OrderId), cancellationToken: cancellationToken);
        if (message.Cents < 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            throw new InvalidOperationException("declined");
        }
    }
}
