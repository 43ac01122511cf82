using Spectre.Console;

namespace Tidings.Cli.Output;

/// <summary>
/// Asks before a destructive command. At a terminal, Spectre's prompt; with standard input redirected, the question on
/// standard error and one line read (y or yes confirms), so a script can answer; no answer is no.
/// </summary>
public static class Confirmation
{
    /// <summary>True if <paramref name="yes"/> was given, or the person or script answered yes.</summary>
    public static bool Ask(string question, bool yes)
    {
        if (yes)
        {
            return true;
        }

        if (!Console.IsInputRedirected && !Console.IsOutputRedirected)
        {
            return AnsiConsole.Confirm(question, defaultValue: false);
        }

        Console.Error.Write($"{question} [y/N] ");
        Console.Error.Flush();
        var answer = Console.In.ReadLine()?.Trim();
        if (answer is null)
        {
            Console.Error.WriteLine(); // no one answered: the next line starts on a line of its own
        }

        return string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
    }
}
