using Tidings.Stores;
using Tidings.Transport;

namespace Tidings.Testing;

/// <summary>Collects what the hosts report during a harness call, from any thread, and hands it over at the end.</summary>
internal sealed class HarnessLog(Func<Envelope, object?> read, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _replyQueues = new(StringComparer.Ordinal);
    private List<HarnessMessage> _messages = [];
    private List<HandlerInvocation> _handled = [];
    private List<HarnessFailure> _failures = [];
    private List<(string Service, string Endpoint, Guid MessageId, bool Failed)> _outcomes = [];

    /// <summary>Messages settled since the call began (to stop a system that never quiesces).</summary>
    public int Settled
    {
        get
        {
            lock (_lock)
            {
                return _outcomes.Count;
            }
        }
    }

    public void Accepted(IReadOnlyList<OutgoingMessage> messages)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            foreach (var message in messages)
            {
                var destination = message.Destination.Name;
                if (destination.EndsWith(DeadLetterQueues.Suffix, StringComparison.Ordinal))
                {
                    // A dead letter: reported by its outcome, with the exception.
                    continue;
                }

                if (message.Envelope.HasHeaders && message.Envelope.Headers.TryGetValue(TidingsHeaders.ReplyTo, out var replyTo))
                {
                    _replyQueues.Add(replyTo);
                }

                var kind = message.DeliverAt is { } at && at > now ? HarnessMessageKind.Scheduled
                    : message.Destination.Kind != DestinationKind.Queue ? HarnessMessageKind.Published
                    : _replyQueues.Contains(destination) ? HarnessMessageKind.Replied
                    : HarnessMessageKind.Sent;
                _messages.Add(new HarnessMessage(kind, destination, message.Envelope, kind == HarnessMessageKind.Scheduled ? message.DeliverAt : null, read));
            }
        }
    }

    public void Scheduled(ScheduledMessage scheduled)
    {
        lock (_lock)
        {
            _messages.Add(new HarnessMessage(HarnessMessageKind.Scheduled, scheduled.Message.Destination.Name, scheduled.Message.Envelope, scheduled.DueAt, read));
        }
    }

    public void HandlerRan(string service, HandlerRun run)
    {
        lock (_lock)
        {
            _handled.Add(new HandlerInvocation(service, run.Endpoint, run.Handler, run.Envelope.MessageName, run.Envelope.MessageId, run.Message, run.Failure));
        }
    }

    public void Outcome(string service, MessageOutcome outcome)
    {
        var failed = outcome.Kind == SettlementKind.DeadLetter || (outcome.Kind == SettlementKind.Retry && outcome.Failure is not null);
        lock (_lock)
        {
            _outcomes.Add((service, outcome.Endpoint, outcome.Envelope.MessageId, failed));
            if (failed)
            {
                var reason = outcome.Envelope.HasHeaders && outcome.Envelope.Headers.TryGetValue(TidingsHeaders.DeadLetterReason, out var r) ? r : null;
                var deadLettered = outcome.Kind == SettlementKind.DeadLetter;
                _failures.Add(new HarnessFailure(service, outcome.Endpoint, outcome.Envelope.MessageName, outcome.Envelope.MessageId, deadLettered,
                    deadLettered ? reason : null, outcome.Failure));
            }
        }
    }

    /// <summary>Ends the call: what it saw, and the failures that were still failures at its end (not handled on a later try).</summary>
    public (HarnessResult Result, IReadOnlyList<HarnessFailure> Standing) Take()
    {
        lock (_lock)
        {
            var result = new HarnessResult(_messages, _handled, _failures);
            var last = _outcomes
                .GroupBy(o => (o.Service, o.Endpoint, o.MessageId))
                .Where(g => g.Last().Failed)
                .Select(g => g.Key)
                .ToHashSet();
            var standing = _failures
                .Where(f => last.Contains((f.Service, f.Endpoint, f.MessageId)))
                .GroupBy(f => (f.Service, f.Endpoint, f.MessageId))
                .Select(g => g.Last())
                .ToList();
            _messages = [];
            _handled = [];
            _failures = [];
            _outcomes = [];
            return (result, standing);
        }
    }
}
