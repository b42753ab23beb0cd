namespace Chronoq.Sdk;

/// <summary>A reserved job of a typed topic: its value read from JSON, and the handle that settles it.</summary>
/// <typeparam name="T">The body's type.</typeparam>
public sealed class ReservedJob<T>
{
    internal ReservedJob(ReservedJobHandle handle, T value)
    {
        Handle = handle;
        Value = value;
    }

    /// <summary>The job's body, deserialized.</summary>
    public T Value { get; }

    /// <summary>The reservation: id, headers, counters, and Delete/Release/Bury/Touch.</summary>
    public ReservedJobHandle Handle { get; }

    /// <summary>The job's id.</summary>
    public ulong Id => Handle.Id;

    /// <summary>How many times the job has been reserved, this time included.</summary>
    public int Attempt => Handle.Attempt;

    /// <summary>Deletes (acknowledges) the job.</summary>
    public Task DeleteAsync(CancellationToken cancellationToken = default) => Handle.DeleteAsync(cancellationToken);

    /// <summary>Returns the job to READY, or DELAYED for <paramref name="delay"/>.</summary>
    public Task ReleaseAsync(TimeSpan? delay = null, uint? priority = null, CancellationToken cancellationToken = default) =>
        Handle.ReleaseAsync(delay, priority, cancellationToken);

    /// <summary>Buries the job.</summary>
    public Task BuryAsync(uint? priority = null, CancellationToken cancellationToken = default) => Handle.BuryAsync(priority, cancellationToken);

    /// <summary>Restarts the TTR; returns the new deadline.</summary>
    public Task<DateTimeOffset> TouchAsync(CancellationToken cancellationToken = default) => Handle.TouchAsync(cancellationToken);
}
