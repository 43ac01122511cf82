namespace Tidings.Testing.Tests;

/// <summary>docs/testing.md's complete example is the code in DocsExample.cs, which the build compiles and the suite runs.</summary>
public sealed class DocsExampleTests
{
    [Fact]
    public void The_testing_page_shows_the_compiled_example_exactly()
    {
        var root = Root();
        var page = File.ReadAllText(Path.Combine(root, "docs", "testing.md"));
        var start = page.IndexOf("```csharp", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/testing.md has no csharp block.");
        var end = page.IndexOf("```", start + 9, StringComparison.Ordinal);
        var shown = Normalize(page[(start + 9)..end]);

        var source = File.ReadAllText(Path.Combine(root, "tests", "Tidings.Testing.Tests", "DocsExample.cs"));
        var begin = source.IndexOf("// <docs>", StringComparison.Ordinal) + "// <docs>".Length;
        var compiled = Normalize(source[begin..source.IndexOf("// </docs>", StringComparison.Ordinal)]);

        Assert.Equal(compiled, shown);
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
