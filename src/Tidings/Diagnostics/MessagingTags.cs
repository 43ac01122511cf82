namespace Tidings.Diagnostics;

/// <summary>OpenTelemetry messaging attribute names used on spans and metrics.</summary>
internal static class MessagingTags
{
    public const string System = "messaging.system";
    public const string Operation = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string Destination = "messaging.destination.name";
    public const string MessageId = "messaging.message.id";
    public const string ConversationId = "messaging.message.conversation_id";
    public const string BodySize = "messaging.message.body.size";
    public const string ConsumerGroup = "messaging.consumer.group.name";
    public const string ErrorType = "error.type";
    public const string MessageName = "tidings.message.name";
    public const string Outcome = "tidings.outcome";
}
