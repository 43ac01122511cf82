namespace Tidings;

/// <summary>Optional settings for one <see cref="IBus.RequestAsync{TRequest, TResponse}"/>.</summary>
public sealed class RequestOptions
{
    /// <summary>How long to wait for the reply. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The conversation the request belongs to.</summary>
    public string? CorrelationId { get; set; }

    /// <summary>Extra headers on the request.</summary>
    public IDictionary<string, string>? Headers { get; set; }
}
