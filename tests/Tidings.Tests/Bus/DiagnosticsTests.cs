using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Tidings.Diagnostics;
using Tidings.Tests.Support;

namespace Tidings.Tests.Bus;

public sealed class DiagnosticsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every Tidings span, recorded, into <paramref name="activities"/> as it stops.</summary>
    private static ActivityListener ListenToSpans(ConcurrentQueue<Activity> activities)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TidingsDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Fact]
    public async Task The_process_span_continues_the_trace_of_the_publish_span()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = ListenToSpans(activities);
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("diag-barista", e => e.Handle<OrderPlaced, RecordingHandler>()));

        var correlation = "cup-" + Guid.NewGuid();
        await bus.Bus.PublishAsync(new OrderPlaced(1), new SendOptions { CorrelationId = correlation }, Ct);
        await bus.Recorder.WaitForAsync(r => r.Of<OrderPlaced>().Any());
        await Tidings.Tests.Endpoints.DeliveryModeTests.WaitUntil(() => activities.Any(a => a.Kind == ActivityKind.Consumer && Equals(a.GetTagItem("messaging.message.conversation_id"), correlation)));

        var publish = activities.Single(a => a.Kind == ActivityKind.Producer && Equals(a.GetTagItem("messaging.message.conversation_id"), correlation));
        var process = activities.Single(a => a.Kind == ActivityKind.Consumer && Equals(a.GetTagItem("messaging.message.conversation_id"), correlation));
        Assert.Equal("publish test.order-placed", publish.DisplayName);
        Assert.Equal("process diag-barista", process.DisplayName);
        Assert.Equal(publish.TraceId, process.TraceId);
        Assert.Equal(publish.SpanId, process.ParentSpanId);
        Assert.Equal("in-memory", process.GetTagItem("messaging.system"));
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal(bus.Recorder.Handled.Single().Envelope.MessageId.ToString(), process.GetTagItem("messaging.message.id"));
        Assert.True(bus.Recorder.Handled.Single().Envelope.Headers.ContainsKey("traceparent"));
    }

    [Fact]
    public async Task A_message_built_to_be_kept_is_traced_as_created_and_not_counted_as_sent()
    {
        // A saga's compensation is built when the step succeeds and may never be sent; a timeout leaves when it is due.
        var activities = new ConcurrentQueue<Activity>();
        using var listener = ListenToSpans(activities);
        var sent = new ConcurrentQueue<string>();
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TidingsDiagnostics.SourceName && instrument.Name == "messaging.client.sent.messages")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.destination.name")
                {
                    sent.Enqueue((string)tag.Value!);
                }
            }
        });
        meter.Start();
        await using var bus = await TestBus.StartAsync(_ => { });
        var runtime = bus.Host.Services.GetRequiredService<BusRuntime>();
        var kept = "kept-" + Guid.NewGuid().ToString("N")[..8];
        var sentNow = "sent-" + Guid.NewGuid().ToString("N")[..8];

        var message = await CapturingDispatcher.BuildAsync(runtime.SendPipeline, new MakeDrink(1), typeof(MakeDrink), kept, null, null, Ct);
        await bus.Transport.DeclareAsync(new Tidings.Transport.QueueDeclaration(sentNow, []), Ct);
        await bus.Bus.SendAsync(sentNow, new MakeDrink(2), cancellationToken: Ct);

        var created = Assert.Single(activities, a => Equals(a.GetTagItem("messaging.destination.name"), kept));
        Assert.Equal($"create {kept}", created.DisplayName);
        Assert.Equal("create", created.GetTagItem("messaging.operation.type"));
        Assert.True(message.Envelope.Headers.ContainsKey("traceparent")); // whoever gets it later continues this trace
        var send = Assert.Single(activities, a => Equals(a.GetTagItem("messaging.destination.name"), sentNow));
        Assert.Equal("send", send.GetTagItem("messaging.operation.type"));
        meter.RecordObservableInstruments();
        Assert.Contains(sentNow, sent);
        Assert.DoesNotContain(kept, sent);
    }

    [Fact]
    public async Task Consumed_messages_and_handler_durations_are_measured()
    {
        var consumed = 0L;
        var durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TidingsDiagnostics.SourceName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "messaging.client.consumed.messages" && HasTag(tags, "messaging.destination.name", "metered"))
            {
                Interlocked.Add(ref consumed, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (instrument.Name == "messaging.process.duration" && HasTag(tags, "messaging.destination.name", "metered"))
            {
                Interlocked.Increment(ref durations);
            }
        });
        listener.Start();
        await using var bus = await TestBus.StartAsync(t => t.AddEndpoint("metered", e => e.Handle<MakeDrink, RecordingHandler>()));

        for (var i = 0; i < 3; i++)
        {
            await bus.Bus.SendAsync("metered", new MakeDrink(i), cancellationToken: Ct);
        }

        await bus.Recorder.WaitForAsync(r => r.Of<MakeDrink>().Count() == 3);
        await Tidings.Tests.Endpoints.DeliveryModeTests.WaitUntil(() => Interlocked.Read(ref consumed) == 3 && Volatile.Read(ref durations) == 3);
    }

    private static bool HasTag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key, string value)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key && Equals(tag.Value, value))
            {
                return true;
            }
        }

        return false;
    }
}
