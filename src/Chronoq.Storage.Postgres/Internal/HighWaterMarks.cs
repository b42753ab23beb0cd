namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// What the store knows about the id high-water mark recovery will compute, the greater of the
/// stored mark (<c>meta.id_high_water</c>) and the highest id in the jobs table. That must never be
/// below the engine's mark of a committed batch, or ids would be reused after a restart (and a late
/// Delete of an old id could hit a new job). A live row proves its id as well as the stored mark
/// does, so a commit writes the mark (one UPDATE, and its WAL) only when no row proves it: a
/// commit of new puts writes the row with the highest id itself and skips the UPDATE. Deletes may
/// remove the proving row, so a commit that deletes counts only the stored mark and its own rows.
/// Not thread-safe: used by one commit at a time, under the store's commit gate.
/// </summary>
internal sealed class HighWaterMarks
{
    private ulong _proven;

    /// <summary>The stored mark as last committed (a lower bound after a failed commit: it only grows).</summary>
    public ulong Stored { get; private set; }

    /// <summary>
    /// A lower bound of what recovery would compute now: the stored mark, or the highest id of a
    /// row written since without any delete in between. Read outside the gate too, hence volatile.
    /// </summary>
    public ulong Proven => Volatile.Read(ref _proven);

    /// <summary>
    /// No id above it was ever written to the table, so a job above it is a new row (see
    /// <see cref="CommitColumns.Inserted"/>). Only raised by a committed batch, like before this
    /// class existed; ids are never reused by the engine, so a failed commit's ids never come back.
    /// </summary>
    public ulong Written { get; private set; }

    /// <summary>Starts from what the database holds: the stored mark and the highest id in the table.</summary>
    /// <returns>The mark recovery computes from them.</returns>
    public ulong Reset(ulong stored, ulong highestStoredId)
    {
        Stored = stored;
        Written = Math.Max(stored, highestStoredId);
        Volatile.Write(ref _proven, Written);
        return Written;
    }

    /// <summary>What recovery would compute after a commit if the commit wrote no mark.</summary>
    /// <param name="hasDeletes">Whether the commit deletes rows (which may be the ones that proved the mark so far).</param>
    /// <param name="highestWrittenId">The highest id of the rows the commit writes (that exist after it); 0 when none.</param>
    public ulong ProvenWithoutMark(bool hasDeletes, ulong highestWrittenId) => Math.Max(hasDeletes ? Stored : Proven, highestWrittenId);

    /// <summary>The mark a commit must write for <paramref name="batchHighWater"/>, or null when <paramref name="provenWithoutMark"/> (<see cref="ProvenWithoutMark"/>) covers it.</summary>
    public static ulong? ToWrite(ulong batchHighWater, ulong provenWithoutMark) => provenWithoutMark >= batchHighWater ? null : batchHighWater;

    /// <summary>After a commit that succeeded, with the <see cref="ProvenWithoutMark"/> and <see cref="ToWrite"/> values it was loaded with.</summary>
    public void Committed(ulong batchHighWater, ulong provenWithoutMark, ulong? writtenMark)
    {
        if (writtenMark is { } mark)
        {
            Stored = Math.Max(Stored, mark);
        }

        Written = Math.Max(Written, batchHighWater);
        Volatile.Write(ref _proven, Math.Max(provenWithoutMark, Stored));
    }

    /// <summary>
    /// After a commit that failed: its outcome may be unknown (committed, reply lost), so its
    /// deletes may have removed the rows that proved the mark; only the stored mark is certain.
    /// </summary>
    public void Failed() => Volatile.Write(ref _proven, Stored);
}
