using System.Diagnostics;

namespace Tidings.Diagnostics;

/// <summary>Carries W3C trace context in envelope headers across processes.</summary>
internal static class TraceContext
{
    public static void Inject(Activity? activity, Dictionary<string, string> headers)
    {
        if (activity is null)
        {
            return;
        }

        DistributedContextPropagator.Current.Inject(activity, headers, static (carrier, key, value) =>
        {
            if (carrier is Dictionary<string, string> dict && value is not null)
            {
                dict[key] = value;
            }
        });
    }

    public static ActivityContext Extract(IReadOnlyDictionary<string, string> headers)
    {
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is IReadOnlyDictionary<string, string> dict && dict.TryGetValue(name, out var v) ? v : null;
        }, out var traceParent, out var traceState);

        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
