using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Transport.Internal;

/// <summary>What every call handler shares: limits, clock, logger.</summary>
internal sealed class GrpcCallSettings(int maxReceiveMessageSize, int maxSendMessageSize, TimeProvider timeProvider, ILogger logger)
{
    public int MaxReceiveMessageSize { get; } = maxReceiveMessageSize;

    public int MaxSendMessageSize { get; } = maxSendMessageSize;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public ILogger Logger { get; } = logger;
}
