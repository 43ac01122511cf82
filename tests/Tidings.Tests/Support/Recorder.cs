using System.Collections.Concurrent;

namespace Tidings.Tests.Support;

/// <summary>What handlers saw, and a way to wait until they saw enough.</summary>
public sealed class Recorder
{
    private readonly ConcurrentQueue<(object Message, Envelope Envelope)> _handled = new();
    private readonly ConcurrentDictionary<string, int> _counters = new();

    public IReadOnlyList<(object Message, Envelope Envelope)> Handled => _handled.ToList();

    public void Record(object message, Envelope envelope) => _handled.Enqueue((message, envelope));

    public int Increment(string key) => _counters.AddOrUpdate(key, 1, (_, n) => n + 1);

    public int Count(string key) => _counters.GetValueOrDefault(key);

    public IEnumerable<T> Of<T>() => _handled.Select(h => h.Message).OfType<T>();

    public async Task WaitForAsync(Func<Recorder, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The handlers did not see what the test waited for.");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
