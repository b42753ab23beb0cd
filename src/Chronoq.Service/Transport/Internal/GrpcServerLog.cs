using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Transport.Internal;

/// <summary>The transport's log messages, declared once.</summary>
internal static partial class GrpcServerLog
{
    [LoggerMessage(1, LogLevel.Error, "Error when executing service method '{Method}'.", EventName = "ErrorExecutingServiceMethod")]
    public static partial void ErrorExecutingServiceMethod(ILogger logger, string method, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "Call '{Method}' ended because the client cancelled or disconnected.", EventName = "CallAborted")]
    public static partial void CallAborted(ILogger logger, string method);

    [LoggerMessage(3, LogLevel.Debug, "Call '{Method}' exceeded its deadline.", EventName = "DeadlineExceeded")]
    public static partial void DeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(4, LogLevel.Debug, "No handler for '{Path}'; answering UNIMPLEMENTED.", EventName = "UnimplementedMethod")]
    public static partial void UnimplementedMethod(ILogger logger, string path);

    [LoggerMessage(5, LogLevel.Debug, "Rejected request to '{Path}' with HTTP {HttpStatus}: {Reason}", EventName = "RequestRejected")]
    public static partial void RequestRejected(ILogger logger, string path, int httpStatus, string reason);

    [LoggerMessage(6, LogLevel.Debug, "Call '{Method}' ended with status {StatusCode}: {Detail}", EventName = "CallFailed")]
    public static partial void CallFailed(ILogger logger, string method, Chronoq.Protocol.Grpc.StatusCode statusCode, string? detail);
}
