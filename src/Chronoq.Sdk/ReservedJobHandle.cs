using Chronoq.Protocol.V1;
using Chronoq.Sdk.Internal;

namespace Chronoq.Sdk;

/// <summary>
/// A job the caller holds: its content and the reservation token that
/// <see cref="DeleteAsync"/>, <see cref="ReleaseAsync"/>, <see cref="BuryAsync"/> and
/// <see cref="TouchAsync"/> carry. Once the TTR has run out the job may belong to someone else
/// and those calls fail with FAILED_PRECONDITION.
/// </summary>
public sealed class ReservedJobHandle
{
    private readonly ChronoqClient _client;
    private readonly ReserveStream? _stream;
    private long _deadlineTicks;
    private long _renewedAtTicks;
    private int _settled;

    internal ReservedJobHandle(ChronoqClient client, ReservedJob reserved, ReserveStream? stream)
    {
        _client = client;
        _stream = stream;
        Job = reserved.Job ?? throw new InvalidOperationException("The server sent a reserved job without its job.");
        Reservation = reserved.Reservation;
        _deadlineTicks = (reserved.Deadline?.ToDateTimeOffset() ?? DateTimeOffset.MaxValue).UtcTicks;
        _renewedAtTicks = client.Options.TimeProvider.GetUtcNow().UtcTicks;
    }

    /// <summary>The job as the server sent it, with its counters.</summary>
    public Job Job { get; }

    /// <summary>The job's id.</summary>
    public ulong Id => Job.Id;

    /// <summary>The token of this reservation.</summary>
    public ulong Reservation { get; }

    /// <summary>The job's topic.</summary>
    public string Topic => Job.Topic;

    /// <summary>The job's payload.</summary>
    public ReadOnlyMemory<byte> Body => Job.Body.Memory;

    /// <summary>The job's headers (<c>traceparent</c> among them when the producer had a trace).</summary>
    public IReadOnlyDictionary<string, string> Headers => Job.Headers;

    /// <summary>How many times the job has been reserved, this time included: 1 on the first delivery.</summary>
    public int Attempt => (int)Math.Min(Job.Reserves, int.MaxValue);

    /// <summary>When the TTR runs out, on the server's clock; moved by <see cref="TouchAsync"/>.</summary>
    public DateTimeOffset Deadline => new(Interlocked.Read(ref _deadlineTicks), TimeSpan.Zero);

    /// <summary>Whether this handle already deleted, released or buried the job.</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Deletes the job (acknowledges it). Coalesced with other deletes into DeleteBatch when batching is on.</summary>
    public async Task DeleteAsync(CancellationToken cancellationToken = default)
    {
        await _client.DeleteAsync(Id, Reservation, cancellationToken).ConfigureAwait(false);
        Settle();
    }

    /// <summary>Returns the job to READY, or to DELAYED for <paramref name="delay"/>; keeps its priority unless <paramref name="priority"/> is given.</summary>
    public async Task ReleaseAsync(TimeSpan? delay = null, uint? priority = null, CancellationToken cancellationToken = default)
    {
        await _client.ReleaseAsync(Id, Reservation, delay, priority, cancellationToken).ConfigureAwait(false);
        Settle();
    }

    /// <summary>Sets the job aside as BURIED until kicked; keeps its priority unless <paramref name="priority"/> is given.</summary>
    public async Task BuryAsync(uint? priority = null, CancellationToken cancellationToken = default)
    {
        await _client.BuryAsync(Id, Reservation, priority, cancellationToken).ConfigureAwait(false);
        Settle();
    }

    /// <summary>Restarts the TTR; returns the new deadline.</summary>
    public async Task<DateTimeOffset> TouchAsync(CancellationToken cancellationToken = default)
    {
        var deadline = await _client.TouchAsync(Id, Reservation, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _deadlineTicks, deadline.UtcTicks);
        Interlocked.Exchange(ref _renewedAtTicks, _client.Options.TimeProvider.GetUtcNow().UtcTicks);
        return deadline;
    }

    /// <inheritdoc />
    public override string ToString() => $"job {Id} of '{Topic}' (reservation {Reservation})";

    /// <summary>When the TTR last started, on the client's clock: at delivery, then at each touch.</summary>
    internal DateTimeOffset RenewedAt => new(Interlocked.Read(ref _renewedAtTicks), TimeSpan.Zero);

    /// <summary>The job's time-to-run (the server's 60 s default when it sent none).</summary>
    internal TimeSpan Ttr => Job.Ttr?.ToTimeSpan() ?? TimeSpan.FromSeconds(60);

    internal void UpdateDeadline(DateTimeOffset deadline) => Interlocked.Exchange(ref _deadlineTicks, deadline.UtcTicks);

    private void Settle()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            _stream?.Forget(this);
        }
    }
}
