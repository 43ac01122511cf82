namespace Tidings.Pipeline;

/// <summary>One step of a pipeline: do something, call the next step (or not), do something after.</summary>
public interface IStep<TContext>
{
    /// <summary>Processes the context; calling <see cref="NextStep{TContext}.InvokeAsync"/> on <paramref name="nextStep"/> runs the rest of the pipeline.</summary>
    ValueTask ProcessAsync(TContext context, NextStep<TContext> nextStep);
}

/// <summary>The rest of a pipeline after the current step. A struct, so running a pipeline allocates nothing per step.</summary>
public readonly struct NextStep<TContext>
{
    private readonly Pipeline<TContext> _pipeline;
    private readonly int _index;

    internal NextStep(Pipeline<TContext> pipeline, int index)
    {
        _pipeline = pipeline;
        _index = index;
    }

    /// <summary>Runs the remaining steps.</summary>
    public ValueTask InvokeAsync(TContext context) => _pipeline.InvokeAsync(context, _index);
}

/// <summary>An ordered list of named steps. Built in one place: <see cref="Pipelines"/>.</summary>
public sealed class Pipeline<TContext>
{
    private readonly IStep<TContext>[] _steps;

    internal Pipeline(IEnumerable<IStep<TContext>> steps) => _steps = steps.ToArray();

    /// <summary>Runs the whole pipeline.</summary>
    public ValueTask InvokeAsync(TContext context) => InvokeAsync(context, 0);

    internal ValueTask InvokeAsync(TContext context, int index) =>
        index < _steps.Length ? _steps[index].ProcessAsync(context, new NextStep<TContext>(this, index + 1)) : ValueTask.CompletedTask;
}
