namespace Tidings.Cli.Tests.Support;

/// <summary>The exit codes docs/operations.md promises scripts, written out: a renumbering in the tool fails these tests.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int NotFound = 4;
    public const int NotConfirmed = 5;
}
