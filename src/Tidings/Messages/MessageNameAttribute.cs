namespace Tidings;

/// <summary>
/// Gives a message type the stable name it travels under. The name, never the CLR type name,
/// is written on the wire, so types can be renamed or moved without breaking other services.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class MessageNameAttribute(string name) : Attribute
{
    /// <summary>The stable name, e.g. <c>coffee.order-placed</c>.</summary>
    public string Name { get; } = name;
}
