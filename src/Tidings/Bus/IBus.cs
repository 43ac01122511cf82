namespace Tidings;

/// <summary>
/// The bus, for code outside handlers. Each call completes once the transport holds the message durably
/// (at-least-once). To send together with a database change, use <see cref="ITransactionalSessionFactory"/>.
/// </summary>
public interface IBus : IMessageSender;
