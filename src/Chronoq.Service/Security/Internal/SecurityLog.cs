using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Security.Internal;

internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Refused unauthenticated call to {Path} from {Peer}: {Reason}")]
    public static partial void Unauthenticated(ILogger logger, string path, string peer, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Authentication is off and the gRPC endpoint {GrpcUrl} is reachable beyond loopback (Chronoq:Auth:AllowUnauthenticated=true): anyone who can connect can put, reserve and delete jobs.")]
    public static partial void OpenToNetwork(ILogger logger, string grpcUrl);
}
