namespace Tidings.Sqlite.Tests.Processes;

/// <summary>The README's code is code the build compiles: samples/Quickstart/ReadmeExample.cs.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void The_readme_shows_the_compiled_example_exactly()
    {
        var root = Root();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var start = readme.IndexOf("```csharp", StringComparison.Ordinal);
        var end = readme.IndexOf("```", start + 9, StringComparison.Ordinal);
        var shown = Normalize(readme[(start + 9)..end]);

        var source = File.ReadAllText(Path.Combine(root, "samples", "Quickstart", "ReadmeExample.cs"));
        var compiled = new List<string>();
        var inside = false;
        foreach (var line in source.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed == "// <readme>" || trimmed == "// </readme>")
            {
                inside = trimmed == "// <readme>";
                continue;
            }

            if (inside)
            {
                compiled.Add(line);
            }
        }

        Assert.Equal(Normalize(string.Join('\n', compiled)), shown);
    }

    private static List<string> Normalize(string code) =>
        code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    private static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tidings.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("The repository root (Tidings.slnx) was not found.");
    }
}
