using System.Collections.Concurrent;
using System.Reflection;

namespace Tidings;

/// <summary>
/// The allow-list of message types: maps each type to its stable name and back.
/// Incoming messages resolve only through names registered here; an unknown name is refused,
/// so the wire can never choose which CLR type gets deserialized.
/// </summary>
public sealed class MessageTypeRegistry
{
    private readonly ConcurrentDictionary<string, Type> _typesByName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _namesByType = new();

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="name"/>, or under its <see cref="MessageNameAttribute"/>.</summary>
    public MessageTypeRegistry Register<T>(string? name = null) => Register(typeof(T), name);

    /// <summary>Registers <paramref name="type"/> under <paramref name="name"/>, or under its <see cref="MessageNameAttribute"/>.</summary>
    /// <exception cref="InvalidOperationException">The name is taken by another type, or the type already has another name.</exception>
    public MessageTypeRegistry Register(Type type, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        name ??= type.GetCustomAttribute<MessageNameAttribute>()?.Name
            ?? throw new InvalidOperationException(
                $"Message type {type.FullName} has no name. Add [MessageName(\"...\")] to it or register it with an explicit name.");
        ValidateName(name);

        var existingType = _typesByName.GetOrAdd(name, type);
        if (existingType != type)
        {
            throw new InvalidOperationException(
                $"Message name '{name}' is already registered for {existingType.FullName}; cannot register {type.FullName} under it too.");
        }

        var existingName = _namesByType.GetOrAdd(type, name);
        if (existingName != name)
        {
            _typesByName.TryRemove(new KeyValuePair<string, Type>(name, type));
            throw new InvalidOperationException(
                $"Message type {type.FullName} is already registered as '{existingName}'; cannot also register it as '{name}'.");
        }

        return this;
    }

    /// <summary>Registers every type in <paramref name="assembly"/> that carries <see cref="MessageNameAttribute"/>.</summary>
    public MessageTypeRegistry RegisterAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetCustomAttribute<MessageNameAttribute>() is not null)
            {
                Register(type);
            }
        }

        return this;
    }

    /// <summary>
    /// The name <paramref name="type"/> travels under. A type carrying <see cref="MessageNameAttribute"/>
    /// is registered on first use, since the sender names its own types.
    /// </summary>
    public string GetName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (_namesByType.TryGetValue(type, out var name))
        {
            return name;
        }

        Register(type);
        return _namesByType[type];
    }

    /// <summary>Resolves a name read from the wire. Returns false for any name not registered.</summary>
    public bool TryResolve(string? name, out Type type)
    {
        if (name is not null && _typesByName.TryGetValue(name, out var found))
        {
            type = found;
            return true;
        }

        type = typeof(void);
        return false;
    }

    /// <summary>All registered names.</summary>
    public IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)_typesByName.Keys;

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new ArgumentException("A message name must be 1 to 200 non-blank characters.", nameof(name));
        }
    }
}
