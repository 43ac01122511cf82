namespace Tidings.Pipeline.Steps;

/// <summary>Copies the caller's headers and reply address onto the message.</summary>
internal sealed class ApplySendOptionsStep : IStep<SendContext>
{
    public ValueTask ProcessAsync(SendContext context, NextStep<SendContext> nextStep)
    {
        if (context.Options is { } options)
        {
            if (options.Headers is not null)
            {
                foreach (var (key, value) in options.Headers)
                {
                    context.Headers[key] = value;
                }
            }

            if (options.ReplyTo is not null)
            {
                context.Headers[TidingsHeaders.ReplyTo] = options.ReplyTo;
            }
        }

        return nextStep.InvokeAsync(context);
    }
}
