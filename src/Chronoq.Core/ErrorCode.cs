namespace Chronoq.Core;

/// <summary>
/// Why an engine operation did not succeed. Values equal the google.rpc.Code numbers so the gRPC
/// layer can map them one to one.
/// </summary>
public enum ErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>Bad input; the message names the field.</summary>
    InvalidArgument = 3,

    /// <summary>Unknown id, key or topic entry.</summary>
    NotFound = 5,

    /// <summary>A limit was hit (live jobs, body size, batch size).</summary>
    ResourceExhausted = 8,

    /// <summary>Wrong state or wrong reservation.</summary>
    FailedPrecondition = 9,

    /// <summary>Storage down or the engine shutting down; nothing was applied.</summary>
    Unavailable = 14,
}
