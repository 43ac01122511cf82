using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Tidings.Dashboard.Live;
using Tidings.Operations;

namespace Tidings.Dashboard;

/// <summary>
/// The flow map's API: the services heard from, and an edge for each (sender, message name, receiver) seen, with its
/// rate. A send's receivers are the endpoints that received that message name: from its queue, or, published, from
/// any queue subscribed to its topic. A send nobody was seen receiving ends at its queue or topic.
/// </summary>
internal static class FlowEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("flow", (FlowListener flow) =>
        {
            var reports = flow.Reports;
            var services = reports.GroupBy(r => r.Last.Service, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new
            {
                name = g.Key,
                instances = g.Count(),
                endpoints = g.SelectMany(r => r.Last.Endpoints).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                at = g.Max(r => r.Last.At),
            }).ToList();

            var sends = reports.SelectMany(r => r.Last.Sent.Select(s => (r.Last.Service, Send: s, Rate: Rate(r, s))))
                .GroupBy(s => (s.Service, s.Send.Origin, s.Send.MessageName, s.Send.Destination, s.Send.ToTopic))
                .Select(g => (g.Key, Total: g.Sum(s => s.Send.Count), Rate: g.Any(s => s.Rate is not null) ? g.Sum(s => s.Rate ?? 0) : (double?)null))
                .ToList();
            var receipts = reports.SelectMany(r => r.Last.Received.Select(c => (r.Last.Service, c.Endpoint, c.MessageName)))
                .Distinct().ToList();

            var edges = sends.SelectMany(s =>
            {
                var receivers = receipts.Where(c => c.MessageName == s.Key.MessageName && (s.Key.ToTopic || c.Endpoint == s.Key.Destination)).ToList();
                var from = new { service = s.Key.Service, endpoint = s.Key.Origin };
                return receivers.Count == 0
                    ? [new { from, message = s.Key.MessageName, to = (object)new { destination = s.Key.Destination, topic = s.Key.ToTopic }, total = s.Total, perMinute = s.Rate }]
                    : receivers.Select(c => new { from, message = s.Key.MessageName, to = (object)new { service = c.Service, endpoint = c.Endpoint }, total = s.Total, perMinute = s.Rate });
            }).ToList();

            return DashboardJson.Ok(new { services, edges });
        });

    /// <summary>Messages per minute between an instance's last two reports; null after its first.</summary>
    private static double? Rate((FlowReport Last, FlowReport? Before) report, FlowSend send)
    {
        if (report.Before is not { } before || report.Last.At <= before.At)
        {
            return null;
        }

        var earlier = before.Sent.FirstOrDefault(s => s.Origin == send.Origin && s.MessageName == send.MessageName && s.Destination == send.Destination && s.ToTopic == send.ToTopic)?.Count ?? 0;
        return Math.Round((send.Count - earlier) / (report.Last.At - before.At).TotalMinutes, 1);
    }
}
