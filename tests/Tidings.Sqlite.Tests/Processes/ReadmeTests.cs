using Tidings.Transport.Contracts;

namespace Tidings.Sqlite.Tests.Processes;

/// <summary>The README's code is code the build compiles: samples/Quickstart/ReadmeExample.cs.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void The_readme_shows_the_compiled_example_exactly() =>
        Assert.Equal(
            DocumentedCode.MarkedRegion(Path.Combine("samples", "Quickstart", "ReadmeExample.cs"), "readme"),
            DocumentedCode.FirstCSharpBlock("README.md"));
}
