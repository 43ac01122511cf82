using Microsoft.Extensions.DependencyInjection;

namespace Tidings.Tests.Sagas;

[MessageName("test.saga.started")]
public sealed record SagaStarted(string Id);

[MessageName("test.saga.moved")]
public sealed record SagaMoved(string Id);

public sealed class SagaRegistrationState
{
    public int Moves { get; set; }
}

public sealed class StartableSaga : Saga<SagaRegistrationState>
{
    public StartableSaga()
    {
        StartedBy<SagaStarted>(m => m.Id, (_, _) => Task.CompletedTask);
        Handles<SagaMoved>(m => m.Id, (_, saga) =>
        {
            saga.State.Moves++;
            return Task.CompletedTask;
        });
    }
}

public sealed class UnstartableSaga : Saga<SagaRegistrationState>
{
    public UnstartableSaga() => Handles<SagaMoved>(m => m.Id, (_, _) => Task.CompletedTask);
}

public sealed class TwiceDeclaredSaga : Saga<SagaRegistrationState>
{
    public TwiceDeclaredSaga()
    {
        StartedBy<SagaStarted>(m => m.Id, (_, _) => Task.CompletedTask);
        Handles<SagaStarted>(m => m.Id, (_, _) => Task.CompletedTask);
    }
}

public sealed class CustomWithoutHandlerSaga : Saga<SagaRegistrationState>
{
    public CustomWithoutHandlerSaga()
    {
        StartedBy<SagaStarted>(m => m.Id, (_, _) => Task.CompletedTask);
        Handles<SagaMoved>(m => m.Id, (_, _) => Task.CompletedTask, SagaMissing.Custom);
    }
}

/// <summary>What is refused when a service starts, with a message that says what to do.</summary>
public sealed class SagaRegistrationTests
{
    [Theory]
    [InlineData(DeliveryMode.AtLeastOnce)]
    [InlineData(DeliveryMode.AtMostOnce)]
    public void A_saga_on_an_endpoint_that_is_not_effectively_once_is_refused(DeliveryMode mode)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("orders", e =>
            {
                e.Saga<StartableSaga>("order");
                e.DeliveryMode = mode;
            })));

        Assert.Contains("sagas run only on effectively-once endpoints", error.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saga_that_nothing_starts_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("orders", e => e.Saga<UnstartableSaga>("order"))));

        Assert.Contains("StartedBy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_declared_twice_and_a_name_used_twice_are_refused()
    {
        var twice = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("orders", e => EffectivelyOnce(e).Saga<TwiceDeclaredSaga>("order"))));
        Assert.Contains("declares SagaStarted twice", twice.Message, StringComparison.Ordinal);

        var sameEndpoint = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("orders", e => EffectivelyOnce(e).Saga<StartableSaga>("order").Saga<StartableSaga>("order"))));
        Assert.Contains("has a saga named 'order' already", sameEndpoint.Message, StringComparison.Ordinal);

        var twoEndpoints = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("orders", e => EffectivelyOnce(e).Saga<StartableSaga>("order"))
            .AddEndpoint("returns", e => EffectivelyOnce(e).Saga<StartableSaga>("order"))));
        Assert.Contains("Saga name 'order' is used on endpoints 'orders' and 'returns'", twoEndpoints.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_missing_policy_without_its_handler_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new CustomWithoutHandlerSaga());
        Assert.Contains("SagaMissing.Custom needs its handler", error.Message, StringComparison.Ordinal);
    }

    private static EndpointOptions EffectivelyOnce(EndpointOptions endpoint)
    {
        endpoint.DeliveryMode = DeliveryMode.EffectivelyOnce;
        return endpoint;
    }

    [Fact]
    public void A_saga_on_an_effectively_once_endpoint_needs_a_store()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTidings(t => t
            .UseInMemoryTransport()
            .AddEndpoint("orders", e =>
            {
                e.Saga<StartableSaga>("order");
                e.DeliveryMode = DeliveryMode.EffectivelyOnce;
            })));

        Assert.Contains("UseSqliteStore", error.Message, StringComparison.Ordinal);
    }
}
