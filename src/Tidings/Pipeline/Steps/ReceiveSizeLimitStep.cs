using Microsoft.Extensions.Logging;

namespace Tidings.Pipeline.Steps;

/// <summary>Dead-letters a body over the size limit, unread.</summary>
internal sealed partial class ReceiveSizeLimitStep(TidingsOptions options, ILogger logger) : IStep<ReceiveContext>
{
    public ValueTask ProcessAsync(ReceiveContext context, NextStep<ReceiveContext> nextStep)
    {
        var size = context.Envelope.Body.Length;
        if (size > options.MaxMessageBytes)
        {
            LogTooLarge(logger, context.Envelope.MessageId, size, options.MaxMessageBytes);
            context.DeadLetter("too-large", new MessageTooLargeException(context.Envelope.MessageName, size, options.MaxMessageBytes));
            return ValueTask.CompletedTask;
        }

        return nextStep.InvokeAsync(context);
    }

    [LoggerMessage(LogLevel.Error, "Message {MessageId} is {Size} bytes, over the limit of {Limit}; dead-lettering it.")]
    private static partial void LogTooLarge(ILogger logger, Guid messageId, int size, int limit);
}
