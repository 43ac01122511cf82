using Microsoft.Extensions.Hosting;

namespace Tidings;

/// <summary>For background work that needs what the host's start makes (the endpoints' queues, a new bus file).</summary>
internal static class HostStarted
{
    /// <summary>Waits until the host has started; false if it is stopped first.</summary>
    public static async Task<bool> WaitAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task.ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
