namespace Chronoq.Core.Storage;

/// <summary>A job's state as stored. Values are persisted: never renumber.</summary>
public enum StoredJobState : byte
{
    /// <summary>Waiting to be reserved.</summary>
    Ready = 1,
    /// <summary>Waiting for <see cref="JobRecord.ReadyAtMs"/>.</summary>
    Delayed = 2,
    /// <summary>Reserved; recovery turns it back to ready.</summary>
    Reserved = 3,
    /// <summary>Buried until kicked.</summary>
    Buried = 4,
}
