namespace Chronoq.Core.Internal;

/// <summary>What an <see cref="EngineCommand"/> asks for.</summary>
internal enum CommandKind : byte
{
    None,

    // Batch commands: applied to memory, committed together, answered after the commit.
    Put,
    PutBatch,
    Delete,
    DeleteBatch,
    DeleteByKey,
    Release,
    Bury,
    Kick,
    KickJob,

    // Control commands: run after the batch's commit, on committed state only, and never persisted.
    Tick,
    CommitDone,
    ReserveOne,
    CancelReserveOne,
    OpenStream,
    CloseStream,
    ReserveJob,
    Touch,
    Peek,
    TopicOf,
    PeekNext,
    TopicStats,
    ListTopics,
    ServerStats,
    PauseTopic,
}
