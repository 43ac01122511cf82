using System.Security.Cryptography;
using System.Text;

namespace Tidings.DeadLetters;

/// <summary>
/// What dead letters that failed the same way share, as ServicePulse groups them: the exception's type and the first
/// frame of its stack in the user's code. A dead letter with no exception (an unknown message name, a message for a
/// finished saga) is grouped by its reason alone.
/// </summary>
/// <param name="Reason">Why it was dead-lettered (<see cref="TidingsHeaders.DeadLetterReason"/>).</param>
/// <param name="ExceptionType">The exception's full type name, or null if there was none.</param>
/// <param name="UserFrame">
/// The first frame of the outermost exception's stack outside System, Microsoft and Tidings, without its file and line
/// (which move with every edit), or null if the stack has none.
/// </param>
public readonly record struct FailureGroupKey(string Reason, string? ExceptionType, string? UserFrame)
{
    private const string FramePrefix = "   at ";
    private const string EndOfInner = "--- End of inner exception stack trace ---";
    private static readonly string[] LibraryNamespaces = ["System.", "Microsoft.", "Tidings.", "lambda_method", "Npgsql.", "RabbitMQ.", "SQLitePCL."];

    /// <summary>
    /// A short, stable id of the group (twelve hex digits of a SHA-256 of its parts): the same on every machine and in
    /// every run, so a command line or a link can name a group.
    /// </summary>
    public string Id
    {
        get
        {
            var text = $"{Reason}\n{ExceptionType}\n{UserFrame}";
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
        }
    }

    /// <summary>The key of a dead letter from its headers (<see cref="TidingsHeaders"/>); missing headers give a key of the reason alone.</summary>
    public static FailureGroupKey Of(IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var reason = headers.GetValueOrDefault(TidingsHeaders.DeadLetterReason) ?? "unknown";
        var type = headers.GetValueOrDefault(TidingsHeaders.ExceptionType);
        return new FailureGroupKey(reason, type, type is null ? null : UserFrameOf(headers.GetValueOrDefault(TidingsHeaders.ExceptionStackTrace)));
    }

    /// <summary>
    /// The first frame in user code of the outermost exception in <paramref name="exceptionText"/> (as
    /// <see cref="Exception.ToString"/> writes it: inner exceptions first, each ending with a marker line).
    /// </summary>
    public static string? UserFrameOf(string? exceptionText)
    {
        if (string.IsNullOrEmpty(exceptionText))
        {
            return null;
        }

        var outermost = exceptionText.LastIndexOf(EndOfInner, StringComparison.Ordinal) is >= 0 and var at
            ? exceptionText[(at + EndOfInner.Length)..]
            : exceptionText;
        foreach (var line in outermost.Split('\n'))
        {
            var text = line.TrimEnd('\r');
            if (!text.StartsWith(FramePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var frame = text[FramePrefix.Length..];
            if (LibraryNamespaces.Any(n => frame.StartsWith(n, StringComparison.Ordinal)))
            {
                continue;
            }

            return frame.IndexOf(" in ", StringComparison.Ordinal) is >= 0 and var file ? frame[..file] : frame;
        }

        return null;
    }
}
