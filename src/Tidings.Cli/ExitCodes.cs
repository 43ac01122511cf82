namespace Tidings.Cli;

/// <summary>What the tool's exit code tells a script. Documented in docs/operations.md; never renumber one.</summary>
public static class ExitCodes
{
    /// <summary>Done as asked.</summary>
    public const int Success = 0;

    /// <summary>Something failed that the tool did not expect; the message says what.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: an unknown command or option, a bad value, or a missing choice.</summary>
    public const int Usage = 2;

    /// <summary>The bus or store could not be reached or used: a bad connection string, a missing file, no Tidings tables.</summary>
    public const int Unreachable = 3;

    /// <summary>What was named does not exist: a queue, a dead letter, a failure group.</summary>
    public const int NotFound = 4;

    /// <summary>A destructive command was not confirmed (the answer was no, or there was no one to ask and no --yes).</summary>
    public const int NotConfirmed = 5;
}

/// <summary>A failure the tool explains in one line, and the exit code it ends with.</summary>
public sealed class ToolException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;
}
