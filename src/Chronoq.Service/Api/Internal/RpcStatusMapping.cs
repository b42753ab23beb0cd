using System.Diagnostics.CodeAnalysis;
using Chronoq.Core;
using Chronoq.Protocol.Grpc;

namespace Chronoq.Service.Api.Internal;

/// <summary>
/// The one place engine outcomes become gRPC statuses. The engine's messages name the proto field
/// or the job, so they go to the caller as they are; nothing else (exception text) ever does.
/// </summary>
internal static class RpcStatusMapping
{
    /// <summary>The gRPC code of an engine error code.</summary>
    public static StatusCode ToStatusCode(ErrorCode code) => code switch
    {
        ErrorCode.Ok => StatusCode.OK,
        ErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        ErrorCode.NotFound => StatusCode.NotFound,
        ErrorCode.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorCode.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorCode.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };

    /// <summary>The message sent with a non-OK status.</summary>
    public static string MessageOf(EngineStatus status) => status.Message ?? status.Code.ToString();

    /// <summary>Returns the value of a successful result, or throws the status of a failed one.</summary>
    public static T Unwrap<T>(EngineResult<T> result)
    {
        if (!result.IsOk)
        {
            Throw(result.Status);
        }

        return result.Value;
    }

    /// <summary>Throws the status of a failed outcome; does nothing for success.</summary>
    public static void ThrowIfFailed(EngineStatus status)
    {
        if (!status.IsOk)
        {
            Throw(status);
        }
    }

    /// <summary>Ends the call with the status of a failed outcome.</summary>
    [DoesNotReturn]
    public static void Throw(EngineStatus status) => throw new RpcException(ToStatusCode(status.Code), MessageOf(status));

    /// <summary>Ends the call with INVALID_ARGUMENT for input the engine never sees (malformed times, enum values).</summary>
    [DoesNotReturn]
    public static void ThrowInvalid(string message) => throw Invalid(message);

    /// <summary>The INVALID_ARGUMENT status for input the engine never sees, for use in throw expressions.</summary>
    public static RpcException Invalid(string message) => new(StatusCode.InvalidArgument, message);
}
