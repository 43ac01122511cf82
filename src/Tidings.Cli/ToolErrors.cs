using Spectre.Console.Cli;

namespace Tidings.Cli;

/// <summary>Every failure as one line and an exit code: what a person can act on, not a stack trace.</summary>
public static class ToolErrors
{
    /// <summary>The exit code and line for <paramref name="exception"/>.</summary>
    public static (int Code, string Message) Explain(Exception exception, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            ToolException tool => (tool.ExitCode, tool.Message),
            CommandParseException or CommandRuntimeException => (ExitCodes.Usage, $"{OneLine(exception.Message)} (tidings --help)"),
            OperationCanceledException when cancelled => (130, "Stopped: what was done before the stop is done; run the command again for the rest."),
            _ => (ExitCodes.Failed, $"{exception.GetType().Name}: {OneLine(exception.Message)}"),
        };
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
