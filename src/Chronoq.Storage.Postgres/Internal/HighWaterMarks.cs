namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// What the store knows about the id high-water mark recovery will compute, the greater of the
/// stored mark (<c>meta.id_high_water</c>) and the highest id in the jobs table. That must never be
/// below the engine's mark of a committed batch, or ids would be reused after a restart (and a late
/// Delete of an old id could hit a new job). A live row proves its id as well as the stored mark
/// does, so a commit writes the mark (one UPDATE, and its WAL) only when no row proves it: a
/// commit of new puts writes the row with the highest id itself and skips the UPDATE. Deletes may
/// remove the proving row, so a commit that deletes counts only the stored mark and its own rows.
/// <para>
/// Commits may overlap (up to <see cref="PostgresStoreOptions.CommitsInFlight"/>), so every member
/// takes a lock: two commits ending together would otherwise each write back a maximum computed
/// from a value the other had just replaced, and a lowered <see cref="Written"/> would send an
/// existing row as a plain INSERT. Why the marks stay right when commits overlap and end in any
/// order, or fail:
/// </para>
/// <list type="bullet">
/// <item>What recovery computes never goes down as commits land, in any order. Stored marks only
/// grow (GREATEST). A row goes only by a commit that deletes it, and that commit's batch mark is at
/// least the row's id (the engine had assigned it); the commit counts only the stored mark, which
/// only grows, and its own rows, which no overlapping commit touches, and writes its mark in the
/// same transaction when those fall short. So once it lands, recovery computes at least its batch
/// mark, hence at least the deleted id. A failed commit whose outcome is unknown landed whole or
/// not at all, its mark with it.</item>
/// <item>So a lower bound stays a lower bound: <see cref="Proven"/> as a commit read it at
/// <see cref="ProvenWithoutMark"/> still holds when the commit ends, even after an overlapping
/// commit deleted the row that proved it, and a commit that ends after a later-started one may
/// raise <see cref="Proven"/> but never needs to lower it. After a commit that deletes, or fails,
/// it is still lowered as before, as a margin that costs one extra mark at most.</item>
/// <item><see cref="Written"/> says the ids above it are new rows, written as plain INSERTs on a
/// commit's first attempt. Overlapping batches never share a job, so an id above it in one batch
/// is not among the rows an overlapping commit may be writing; it is raised only by commits that
/// succeeded, to the highest batch mark among them, whatever their order, and a stale read is
/// lower, which only sends more rows as upserts.</item>
/// </list>
/// </summary>
internal sealed class HighWaterMarks
{
    private readonly Lock _lock = new();
    private ulong _proven;
    private ulong _stored;
    private ulong _written;

    /// <summary>The stored mark as last committed (a lower bound after a failed commit: it only grows).</summary>
    public ulong Stored
    {
        get
        {
            lock (_lock)
            {
                return _stored;
            }
        }
    }

    /// <summary>
    /// A lower bound of what recovery would compute now: the stored mark, or the highest id of a
    /// row written since without any delete in between. Read outside the lock too (a commit with
    /// nothing to write checks it first), hence volatile.
    /// </summary>
    public ulong Proven => Volatile.Read(ref _proven);

    /// <summary>
    /// No id above it was ever written to the table, so a job above it is a new row (see
    /// <see cref="CommitColumns.Inserted"/>). Only raised by a committed batch, like before this
    /// class existed; ids are never reused by the engine, so a failed commit's ids never come back.
    /// </summary>
    public ulong Written
    {
        get
        {
            lock (_lock)
            {
                return _written;
            }
        }
    }

    /// <summary>Starts from what the database holds: the stored mark and the highest id in the table.</summary>
    /// <returns>The mark recovery computes from them.</returns>
    public ulong Reset(ulong stored, ulong highestStoredId)
    {
        lock (_lock)
        {
            _stored = stored;
            _written = Math.Max(stored, highestStoredId);
            Volatile.Write(ref _proven, _written);
            return _written;
        }
    }

    /// <summary>What recovery would compute after a commit if the commit wrote no mark.</summary>
    /// <param name="hasDeletes">Whether the commit deletes rows (which may be the ones that proved the mark so far).</param>
    /// <param name="highestWrittenId">The highest id of the rows the commit writes (that exist after it); 0 when none.</param>
    public ulong ProvenWithoutMark(bool hasDeletes, ulong highestWrittenId)
    {
        lock (_lock)
        {
            return Math.Max(hasDeletes ? _stored : _proven, highestWrittenId);
        }
    }

    /// <summary>The mark a commit must write for <paramref name="batchHighWater"/>, or null when <paramref name="provenWithoutMark"/> (<see cref="ProvenWithoutMark"/>) covers it.</summary>
    public static ulong? ToWrite(ulong batchHighWater, ulong provenWithoutMark) => provenWithoutMark >= batchHighWater ? null : batchHighWater;

    /// <summary>After a commit that succeeded, with the <see cref="ProvenWithoutMark"/> and <see cref="ToWrite"/> values it was loaded with.</summary>
    /// <param name="hasDeletes">Whether the commit deleted rows, as given to <see cref="ProvenWithoutMark"/>.</param>
    public void Committed(ulong batchHighWater, ulong provenWithoutMark, ulong? writtenMark, bool hasDeletes)
    {
        lock (_lock)
        {
            if (writtenMark is { } mark)
            {
                _stored = Math.Max(_stored, mark);
            }

            _written = Math.Max(_written, batchHighWater);
            ulong proven = Math.Max(provenWithoutMark, _stored);
            // A commit without deletes that ends after an overlapping one must not take back what
            // that one proved (see the class comment). One at a time this changes nothing: its
            // provenWithoutMark started from the Proven it finds here.
            if (!hasDeletes)
            {
                proven = Math.Max(proven, _proven);
            }

            Volatile.Write(ref _proven, proven);
        }
    }

    /// <summary>
    /// After a commit that failed: its outcome may be unknown (committed, reply lost), so its
    /// deletes may have removed the rows that proved the mark; only the stored mark is certain.
    /// </summary>
    public void Failed()
    {
        lock (_lock)
        {
            Volatile.Write(ref _proven, _stored);
        }
    }
}
