namespace Chronoq.Protocol.Grpc;

/// <summary>The outcome of <see cref="GrpcFraming.ReadMessageAsync{T}"/>: a status and, for <see cref="GrpcFrameReadStatus.Message"/>, the message.</summary>
/// <typeparam name="T">The message type.</typeparam>
public readonly struct GrpcFrameReadResult<T>
    where T : class
{
    /// <summary>Creates a result.</summary>
    public GrpcFrameReadResult(GrpcFrameReadStatus status, T? message, long declaredLength)
    {
        Status = status;
        Message = message;
        DeclaredLength = declaredLength;
    }

    /// <summary>What was found.</summary>
    public GrpcFrameReadStatus Status { get; }

    /// <summary>The message, set only when <see cref="Status"/> is <see cref="GrpcFrameReadStatus.Message"/>.</summary>
    public T? Message { get; }

    /// <summary>The length the frame's prefix announced (useful in error messages); 0 when no prefix was read.</summary>
    public long DeclaredLength { get; }
}
