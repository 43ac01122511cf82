using Tidings.Transport.Contracts;

namespace Tidings.Testing.Tests;

/// <summary>docs/testing.md's complete example is the code in DocsExample.cs, which the build compiles and the suite runs.</summary>
public sealed class DocsExampleTests
{
    [Fact]
    public void The_testing_page_shows_the_compiled_example_exactly() =>
        Assert.Equal(
            DocumentedCode.MarkedRegion(Path.Combine("tests", "Tidings.Testing.Tests", "DocsExample.cs"), "docs"),
            DocumentedCode.FirstCSharpBlock(Path.Combine("docs", "testing.md")));
}
