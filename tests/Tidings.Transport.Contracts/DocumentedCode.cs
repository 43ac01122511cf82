namespace Tidings.Transport.Contracts;

/// <summary>Keeps a page's code block and the compiled file it comes from identical (README.md, docs/testing.md).</summary>
public static class DocumentedCode
{
    /// <summary>The repository root: the folder above the test's binaries that holds Tidings.slnx.</summary>
    public static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tidings.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("The repository root (Tidings.slnx) was not found.");
    }

    /// <summary>The first <c>```csharp</c> block of the page at <paramref name="page"/> (relative to the root), its lines trimmed, blank ones dropped.</summary>
    public static List<string> FirstCSharpBlock(string page)
    {
        var text = File.ReadAllText(Path.Combine(Root(), page));
        var start = text.IndexOf("```csharp", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{page} has no csharp block.");
        var end = text.IndexOf("```", start + 9, StringComparison.Ordinal);
        return Normalize(text[(start + 9)..end]);
    }

    /// <summary>
    /// The lines of <paramref name="source"/> (relative to the root) inside its <c>// &lt;marker&gt;</c> ...
    /// <c>// &lt;/marker&gt;</c> regions (one or several, in order), trimmed, blank ones dropped.
    /// </summary>
    public static List<string> MarkedRegion(string source, string marker)
    {
        var (open, close) = ($"// <{marker}>", $"// </{marker}>");
        var lines = new List<string>();
        var inside = false;
        foreach (var line in File.ReadAllText(Path.Combine(Root(), source)).Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed == open || trimmed == close)
            {
                inside = trimmed == open;
                continue;
            }

            if (inside && trimmed.Length > 0)
            {
                lines.Add(trimmed);
            }
        }

        Assert.True(lines.Count > 0, $"{source} has no {open} region.");
        return lines;
    }

    private static List<string> Normalize(string code) =>
        code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
