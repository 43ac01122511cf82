using Microsoft.Extensions.DependencyInjection;

namespace Tidings;

/// <summary>Calls one handler type for one message type, without reflection on the hot path.</summary>
internal interface IHandlerInvoker
{
    Type HandlerType { get; }

    Task InvokeAsync(IServiceProvider scope, object message, IMessageContext context, CancellationToken cancellationToken);
}

internal sealed class HandlerInvoker<TMessage>(Type handlerType) : IHandlerInvoker
    where TMessage : notnull
{
    public Type HandlerType => handlerType;

    public Task InvokeAsync(IServiceProvider scope, object message, IMessageContext context, CancellationToken cancellationToken)
    {
        var handler = (IHandleMessages<TMessage>)scope.GetRequiredService(handlerType);
        return handler.HandleAsync((TMessage)message, context, cancellationToken);
    }
}

internal sealed record HandlerRegistration(Type MessageType, Type HandlerType, IHandlerInvoker Invoker);
