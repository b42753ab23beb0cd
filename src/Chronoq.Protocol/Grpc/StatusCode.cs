namespace Chronoq.Protocol.Grpc;

/// <summary>The gRPC status codes (google.rpc.Code), with their wire values.</summary>
public enum StatusCode
{
    /// <summary>Not an error.</summary>
    OK = 0,
    /// <summary>The operation was cancelled, typically by the caller.</summary>
    Cancelled = 1,
    /// <summary>An unknown error.</summary>
    Unknown = 2,
    /// <summary>The client gave an invalid argument; the message names the field.</summary>
    InvalidArgument = 3,
    /// <summary>The deadline expired before the operation completed.</summary>
    DeadlineExceeded = 4,
    /// <summary>The requested entity was not found.</summary>
    NotFound = 5,
    /// <summary>The entity already exists.</summary>
    AlreadyExists = 6,
    /// <summary>The caller lacks permission.</summary>
    PermissionDenied = 7,
    /// <summary>A resource (size, quota, capacity) is exhausted.</summary>
    ResourceExhausted = 8,
    /// <summary>The system is not in the state the operation requires.</summary>
    FailedPrecondition = 9,
    /// <summary>The operation was aborted.</summary>
    Aborted = 10,
    /// <summary>The operation went past the valid range.</summary>
    OutOfRange = 11,
    /// <summary>The operation is not implemented.</summary>
    Unimplemented = 12,
    /// <summary>An internal invariant broke.</summary>
    Internal = 13,
    /// <summary>The service is currently unavailable; retrying may help.</summary>
    Unavailable = 14,
    /// <summary>Unrecoverable data loss.</summary>
    DataLoss = 15,
    /// <summary>The request lacks valid authentication credentials.</summary>
    Unauthenticated = 16,
}
