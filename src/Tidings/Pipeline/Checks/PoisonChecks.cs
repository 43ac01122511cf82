namespace Tidings.Pipeline.Checks;

/// <summary>
/// The checks no retry can fix, in the order <see cref="Pipelines"/> gives them, run once per delivery: by the pipeline's
/// <see cref="Steps.PoisonCheckStep"/>, or ahead of it by an effectively-once batch (the step then finds the message
/// prepared). One definition of each check, whichever runs it.
/// </summary>
internal sealed class PoisonChecks(IPoisonCheck[] checks)
{
    /// <summary>Runs the checks unless they ran for this delivery already; the outcome is in <see cref="ReceiveContext.Refusal"/> or <see cref="ReceiveContext.Message"/>.</summary>
    public void Prepare(ReceiveContext context)
    {
        if (context.Prepared)
        {
            return;
        }

        context.Refusal = Run(context);
        context.Prepared = true;
    }

    private Refusal? Run(ReceiveContext context)
    {
        foreach (var check in checks)
        {
            if (check.Check(context) is { } refusal)
            {
                context.Message = null;
                context.MessageType = null;
                return refusal;
            }
        }

        return null;
    }
}
