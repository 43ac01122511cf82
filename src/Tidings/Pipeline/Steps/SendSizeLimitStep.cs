namespace Tidings.Pipeline.Steps;

/// <summary>Refuses a body over the size limit before anything is sent.</summary>
internal sealed class SendSizeLimitStep(TidingsOptions options) : IStep<SendContext>
{
    public ValueTask ProcessAsync(SendContext context, NextStep<SendContext> nextStep)
    {
        var size = context.Outgoing!.Envelope.Body.Length;
        if (size > options.MaxMessageBytes)
        {
            throw new MessageTooLargeException(context.MessageName!, size, options.MaxMessageBytes);
        }

        return nextStep.InvokeAsync(context);
    }
}
