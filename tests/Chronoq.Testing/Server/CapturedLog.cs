using Microsoft.Extensions.Logging;

namespace Chronoq.Testing.Server;

/// <summary>One log entry the loopback server wrote.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Level} {Category}[{EventId.Id}:{EventId.Name}] {Message}{(Exception is null ? string.Empty : Environment.NewLine + Exception)}";
}
