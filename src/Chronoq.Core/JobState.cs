namespace Chronoq.Core;

/// <summary>The state of a job. Values match chronoq.v1.JobState.</summary>
public enum JobState : byte
{
    /// <summary>No state (a free slot); never reported for a live job.</summary>
    None = 0,

    /// <summary>Waiting to be reserved.</summary>
    Ready = 1,

    /// <summary>Waiting for its delay to pass.</summary>
    Delayed = 2,

    /// <summary>Held by a consumer until its TTR runs out.</summary>
    Reserved = 3,

    /// <summary>Set aside until kicked.</summary>
    Buried = 4,
}
