namespace Tidings.Tests.Messages;

[MessageName("test.named")]
public sealed record Named(int Value);

public sealed record Unnamed(int Value);

[MessageName("test.other")]
public sealed record Other(int Value);

public sealed class MessageTypeRegistryTests
{
    [Fact]
    public void A_type_travels_under_the_name_its_attribute_gives()
    {
        var registry = new MessageTypeRegistry();
        Assert.Equal("test.named", registry.GetName(typeof(Named)));
        Assert.True(registry.TryResolve("test.named", out var type));
        Assert.Equal(typeof(Named), type);
    }

    [Fact]
    public void A_type_can_be_registered_under_an_explicit_name()
    {
        var registry = new MessageTypeRegistry().Register<Unnamed>("test.unnamed");
        Assert.Equal("test.unnamed", registry.GetName(typeof(Unnamed)));
        Assert.True(registry.TryResolve("test.unnamed", out var type));
        Assert.Equal(typeof(Unnamed), type);
    }

    [Fact]
    public void A_type_without_a_name_is_refused_with_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new MessageTypeRegistry().GetName(typeof(Unnamed)));
        Assert.Contains("MessageName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_name_does_not_resolve_and_a_clr_type_name_is_never_accepted()
    {
        var registry = new MessageTypeRegistry().Register<Named>();
        Assert.False(registry.TryResolve("test.nobody", out _));
        Assert.False(registry.TryResolve(typeof(Named).AssemblyQualifiedName, out _));
        Assert.False(registry.TryResolve(null, out _));
    }

    [Fact]
    public void One_name_cannot_serve_two_types_nor_one_type_two_names()
    {
        var registry = new MessageTypeRegistry().Register<Named>();
        Assert.Throws<InvalidOperationException>(() => registry.Register<Other>("test.named"));
        Assert.Throws<InvalidOperationException>(() => registry.Register<Named>("test.renamed"));
        Assert.False(registry.TryResolve("test.renamed", out _));
    }
}
