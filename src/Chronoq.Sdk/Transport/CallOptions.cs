namespace Chronoq.Sdk.Transport;

/// <summary>Per-call settings. The default has no deadline, no cancellation and no extra headers.</summary>
public readonly record struct CallOptions
{
    /// <summary>
    /// When the call must be over, on the channel's clock. Sent as <c>grpc-timeout</c> and
    /// enforced locally as well: past it the call fails with DEADLINE_EXCEEDED and its HTTP/2
    /// stream is reset. Null (the default) means no deadline.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>
    /// Cancels the call: its HTTP/2 stream is reset (the server sees the cancellation) and the
    /// call fails with CANCELLED.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Request metadata to send (custom headers). Null sends none beyond the channel's own.</summary>
    public Metadata? Headers { get; init; }

    /// <summary>Options with a deadline <paramref name="timeout"/> from now on <paramref name="timeProvider"/> (the system clock by default).</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, CancellationToken cancellationToken = default, TimeProvider? timeProvider = null) =>
        new()
        {
            Deadline = (timeProvider ?? TimeProvider.System).GetUtcNow() + timeout,
            CancellationToken = cancellationToken,
        };
}
