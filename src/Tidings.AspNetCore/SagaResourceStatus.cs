using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tidings.AspNetCore;

/// <summary>A status resource backed by a saga's state, through <see cref="ISagaInspector"/>: the resource's id is the saga's correlation id.</summary>
public static class SagaResourceStatus
{
    /// <summary>
    /// The status of saga <paramref name="sagaName"/>'s instance: in progress while active, succeeded when completed
    /// (303 to <paramref name="resultLocation"/>, if given), failed once it ran a compensation. <paramref name="describe"/>, if
    /// given, names the state in the workflow's words from the instance (its saga status by default). Keep completed
    /// instances (<c>KeepCompleted</c>), or the status of finished work is gone with them.
    /// </summary>
    public static Func<string, HttpContext, Task<ResourceStatus?>> For(
        string sagaName, Func<SagaInstanceDetails, string?>? resultLocation = null, Func<SagaInstanceDetails, string>? describe = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        return async (id, http) =>
        {
            var inspector = http.RequestServices.GetRequiredService<ISagaInspector>();
            if (await inspector.GetAsync(sagaName, id, http.RequestAborted).ConfigureAwait(false) is not { } instance)
            {
                return null;
            }

            var summary = instance.Summary;
            // Undone is undone, even once the instance completes after its compensations.
            var undone = summary.Status == SagaStatus.Compensated || instance.Compensations.Any(c => c.HasRun);
            var outcome = undone ? ResourceOutcome.Failed : summary.Status == SagaStatus.Completed ? ResourceOutcome.Succeeded : ResourceOutcome.InProgress;
            var status = describe?.Invoke(instance) ?? summary.Status.ToString().ToLowerInvariant();
            return new ResourceStatus(
                id, status, outcome, summary.UpdatedAt, instance.EarlierEntries + instance.History.Count,
                outcome == ResourceOutcome.Succeeded ? resultLocation?.Invoke(instance) : null,
                outcome == ResourceOutcome.Failed ? new ResourceFailure("The work was undone.", $"{sagaName} '{id}' ran its compensations.", "https://tidings.dev/problems/compensated") : null,
                instance.State);
        };
    }
}
