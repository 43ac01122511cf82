namespace Tidings.Pipeline.Checks;

/// <summary>
/// One check of a received message that no retry can fix. A refused message is dead-lettered at once with the reason;
/// one that passes goes on to the next check, the last of which deserializes it. Checks read only the message, never a
/// database, so an effectively-once batch runs them before it takes its transaction.
/// </summary>
internal interface IPoisonCheck
{
    /// <summary>Null if the message passes; otherwise why it is refused.</summary>
    Refusal? Check(ReceiveContext context);
}

/// <summary>Why a message was refused: the dead-letter reason, and the error that travels in its headers.</summary>
internal sealed record Refusal(string Reason, Exception? Error);
