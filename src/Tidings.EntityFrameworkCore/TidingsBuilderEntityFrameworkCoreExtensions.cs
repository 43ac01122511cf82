using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tidings.Stores;

namespace Tidings.EntityFrameworkCore;

/// <summary>Adds Entity Framework Core to <see cref="TidingsBuilder"/>.</summary>
public static class TidingsBuilderEntityFrameworkCoreExtensions
{
    /// <summary>
    /// Makes <typeparamref name="TContext"/> (registered with <c>AddDbContext</c>, on the same database as the store) part
    /// of Tidings' units of work. In effectively-once handlers the scope's context writes into the batch's transaction and
    /// its changes are saved with the inbox and outbox; elsewhere <see cref="IDbContextOutbox{TContext}"/> saves entities
    /// and messages together.
    /// </summary>
    public static TidingsBuilder UseEntityFrameworkCore<TContext>(this TidingsBuilder builder)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<IUnitOfWorkParticipant, DbContextParticipant<TContext>>());
        builder.Services.TryAddScoped<IDbContextOutbox<TContext>, DbContextOutbox<TContext>>();
        return builder;
    }
}
