using Chronoq.Core.Storage;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// One engine batch turned into column arrays for the unnest statements. Mutations are collapsed
/// per job first (last one wins, in order), because one INSERT ... ON CONFLICT may not touch a
/// row twice and a delete after an upsert must win. Each commit in flight has its own, taken with
/// its slot (<see cref="CommitSlots"/>) and reused by the commits after it, so a steady stream of
/// batches allocates only what grows.
/// </summary>
internal sealed class CommitColumns
{
    private readonly Dictionary<ulong, int> _slotById = new();
    private readonly List<JobMutation> _collapsed = new();

    /// <summary>
    /// Jobs above every id ever written (<see cref="HighWaterMarks.Written"/>): new rows, since ids are never reused. They may
    /// be written with a plain binary COPY, which costs PostgreSQL far less per row than an upsert.
    /// </summary>
    public UpsertColumns Inserted { get; } = new();

    /// <summary>Upserts of rows that may exist already, carrying a body to store.</summary>
    public UpsertColumns WithBody { get; } = new();

    /// <summary>Upserts of metadata only: the stored body stays.</summary>
    public UpsertColumns KeepingBody { get; } = new();

    public List<long> DeletedIds { get; } = new();

    /// <summary>The high-water mark to persist, or null when the stored one or the written rows prove it (see <see cref="HighWaterMarks"/>).</summary>
    public long? HighWater { get; private set; }

    /// <summary>The engine's high-water mark of the batch.</summary>
    public ulong BatchHighWater { get; private set; }

    /// <summary>What recovery would compute after this commit without its mark (<see cref="HighWaterMarks.ProvenWithoutMark"/>).</summary>
    public ulong ProvenWithoutMark { get; private set; }

    /// <summary>Whether the commit deletes rows (so it may remove the rows that proved the mark so far).</summary>
    public bool HasDeletes => DeletedIds.Count > 0;

    /// <summary>Where the commit holding these columns stands; read and changed by <see cref="CommitSlots"/> only, under its lock.</summary>
    internal CommitRun Run { get; set; }

    /// <summary>How many commits have held these columns; changed by <see cref="CommitSlots"/> only, under its lock.</summary>
    internal int Uses { get; set; }

    public bool IsEmpty => DeletedIds.Count == 0 && Inserted.Count == 0 && WithBody.Count == 0 && KeepingBody.Count == 0 && HighWater is null;

    /// <summary>Reads everything needed from <paramref name="batch"/>; the batch is not referenced afterwards.</summary>
    public void Load(MutationBatch batch, HighWaterMarks marks)
    {
        ulong committedHighWater = marks.Written;
        _slotById.Clear();
        _collapsed.Clear();
        Inserted.Clear();
        WithBody.Clear();
        KeepingBody.Clear();
        DeletedIds.Clear();
        ulong highestWrittenId = 0;

        foreach (var mutation in batch.Mutations)
        {
            ulong id = mutation.Record.Id;
            if (_slotById.TryGetValue(id, out int slot))
            {
                var previous = _collapsed[slot];
                var next = mutation;
                // A put followed by a metadata-only change in the same batch: the row does not exist
                // yet, so the body of the put must travel with the last version.
                if (next.Kind == MutationKind.Upsert && next.Record.BodyUnchanged
                    && previous.Kind == MutationKind.Upsert && !previous.Record.BodyUnchanged)
                {
                    next = JobMutation.Upsert(next.Record with { Body = previous.Record.Body, BodyUnchanged = false });
                }

                _collapsed[slot] = next;
            }
            else
            {
                _slotById.Add(id, _collapsed.Count);
                _collapsed.Add(mutation);
            }
        }

        foreach (var mutation in _collapsed)
        {
            var record = mutation.Record;
            if (mutation.Kind == MutationKind.Delete)
            {
                DeletedIds.Add(ToStored(record.Id));
                continue;
            }

            highestWrittenId = Math.Max(highestWrittenId, record.Id);
            if (record.BodyUnchanged)
            {
                KeepingBody.Add(record, includeBody: false);
            }
            else if (record.Id > committedHighWater)
            {
                Inserted.Add(record, includeBody: true);
            }
            else
            {
                WithBody.Add(record, includeBody: true);
            }
        }

        BatchHighWater = batch.IdHighWater;
        ProvenWithoutMark = marks.ProvenWithoutMark(HasDeletes, highestWrittenId);
        HighWater = HighWaterMarks.ToWrite(batch.IdHighWater, ProvenWithoutMark) is { } mark ? ToStored(mark) : null;
        _collapsed.Clear();
    }

    /// <summary>Ids are uint64 on the wire but are assigned from 1 upwards; they fit bigint until 2^63.</summary>
    internal static long ToStored(ulong id) => id <= long.MaxValue
        ? (long)id
        : throw new ArgumentOutOfRangeException(nameof(id), id, "Job ids above 2^63-1 cannot be stored.");
}
