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
    /// instances (<c>KeepCompleted</c>), or the status of finished work is gone with them. <paramref name="failure"/>, if
    /// given, says why a finished instance failed in the workflow's words (an order written off after a declined card
    /// undid nothing, and still failed); null where it did not.
    /// </summary>
    public static Func<string, HttpContext, Task<ResourceStatus?>> For(
        string sagaName, Func<SagaInstanceDetails, string?>? resultLocation = null, Func<SagaInstanceDetails, string>? describe = null,
        Func<SagaInstanceDetails, ResourceFailure?>? failure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        return async (id, http) =>
        {
            var inspector = http.RequestServices.GetRequiredService<ISagaInspector>();
            return await inspector.GetAsync(sagaName, id, http.RequestAborted).ConfigureAwait(false) is { } instance
                ? StatusOf(sagaName, id, instance, resultLocation, describe, failure)
                : null;
        };
    }

    /// <summary>
    /// The live stream of saga <paramref name="sagaName"/>'s instance, for <see cref="EventEndpoints.MapAcceptedEvents"/>:
    /// one <c>update</c> event per entry of its history (started, each message handled, timeouts, compensations,
    /// completed), whose id is the entry's position, and the status as <see cref="For"/> gives it. The instance keeps
    /// its last 50 entries. Changes this process makes show at once; other processes' changes, at the next poll.
    /// </summary>
    public static ResourceEventSource Events(
        string sagaName, Func<SagaInstanceDetails, string?>? resultLocation = null, Func<SagaInstanceDetails, string>? describe = null,
        Func<SagaInstanceDetails, ResourceFailure?>? failure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sagaName);
        return new SagaEventSource(sagaName, resultLocation, describe, failure);
    }

    internal static ResourceStatus StatusOf(
        string sagaName, string id, SagaInstanceDetails instance, Func<SagaInstanceDetails, string?>? resultLocation, Func<SagaInstanceDetails, string>? describe,
        Func<SagaInstanceDetails, ResourceFailure?>? failure)
    {
        var summary = instance.Summary;
        // Undone is undone, even once the instance completes after its compensations.
        var undone = summary.Status == SagaStatus.Compensated || instance.Compensations.Any(c => c.HasRun);
        var finished = undone || summary.Status == SagaStatus.Completed;
        var failed = finished ? failure?.Invoke(instance) : null;
        if (undone)
        {
            failed ??= new ResourceFailure("The work was undone.", $"{sagaName} '{id}' ran its compensations.", "https://tidings.dev/problems/compensated");
        }

        var outcome = failed is not null ? ResourceOutcome.Failed : finished ? ResourceOutcome.Succeeded : ResourceOutcome.InProgress;
        var status = describe?.Invoke(instance) ?? summary.Status.ToString().ToLowerInvariant();
        return new ResourceStatus(
            id, status, outcome, summary.UpdatedAt, instance.EarlierEntries + instance.History.Count,
            outcome == ResourceOutcome.Succeeded ? resultLocation?.Invoke(instance) : null, failed, instance.State);
    }

    private sealed class SagaEventSource(
        string sagaName, Func<SagaInstanceDetails, string?>? resultLocation, Func<SagaInstanceDetails, string>? describe,
        Func<SagaInstanceDetails, ResourceFailure?>? failure)
        : ResourceEventSource
    {
        public override async Task<ResourceHistory?> ReadAsync(string id, IServiceProvider services, CancellationToken cancellationToken)
        {
            var inspector = services.GetRequiredService<ISagaInspector>();
            if (await inspector.GetAsync(sagaName, id, cancellationToken).ConfigureAwait(false) is not { } instance)
            {
                return null;
            }

            var events = instance.History
                .Select((entry, i) => new ResourceEvent(instance.EarlierEntries + i + 1, "update", new SagaUpdate(entry.Kind, entry.MessageName, entry.MessageId, entry.At, entry.Detail)))
                .ToList();
            return new ResourceHistory(StatusOf(sagaName, id, instance, resultLocation, describe, failure), events);
        }

        public override Task<IReadOnlyDictionary<string, long>> ReadStampsAsync(IReadOnlyCollection<string> ids, IServiceProvider services, CancellationToken cancellationToken) =>
            services.GetRequiredService<ISagaInspector>().GetVersionsAsync(sagaName, ids, cancellationToken);

        public override IDisposable? WatchLocalChanges(IServiceProvider services, Action<string> changed) =>
            services.GetService<SagaChanges>()?.Subscribe((saga, id) =>
            {
                if (saga == sagaName)
                {
                    changed(id);
                }
            });
    }
}

/// <summary>The data of a saga's <c>update</c> event: one entry of its history.</summary>
/// <param name="Kind">What happened: <c>started</c>, <c>handled</c>, <c>timeout</c>, <c>compensated</c>, <c>completed</c> and so on.</param>
/// <param name="Message">The registered name of the message concerned.</param>
/// <param name="MessageId">Its id.</param>
/// <param name="At">When.</param>
/// <param name="Detail">The timeout's name or the compensated step, where it concerns one.</param>
public sealed record SagaUpdate(string Kind, string Message, Guid MessageId, DateTimeOffset At, string? Detail);
