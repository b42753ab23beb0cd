using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Internal;

/// <summary>The host's log messages, declared once.</summary>
internal static partial class HostLog
{
    [LoggerMessage(100, LogLevel.Information, "Chronoq {Version} listening: gRPC on {GrpcAddress} ({GrpcProtocols}), HTTP on {HttpAddress}; storage {Storage}.", EventName = "Started")]
    public static partial void Started(ILogger logger, string version, Uri grpcAddress, string grpcProtocols, Uri httpAddress, string storage);

    [LoggerMessage(101, LogLevel.Information, "Chronoq is shutting down; health reports NOT_SERVING.", EventName = "Stopping")]
    public static partial void Stopping(ILogger logger);
}
