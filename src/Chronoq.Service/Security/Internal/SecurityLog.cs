using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Security.Internal;

internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Refused unauthenticated call to {Path} from {Peer}: {Reason}")]
    public static partial void Unauthenticated(ILogger logger, string path, string peer, string reason);
}
