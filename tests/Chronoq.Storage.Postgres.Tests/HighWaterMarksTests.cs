using Chronoq.Core.Storage;
using Chronoq.Storage.Postgres.Internal;
using static Chronoq.Storage.Postgres.Tests.TestJobs;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>
/// The high-water bookkeeping with commits that overlap and end in any order, checked against a
/// model of the table: what recovery would compute must never fall below a committed batch's mark,
/// <see cref="HighWaterMarks.Proven"/> never above it, and a row sent as a plain INSERT must not exist.
/// </summary>
public sealed class HighWaterMarksTests
{
    [Fact]
    public void Committed_PutsEndingOutOfOrder_LaterEndingEarlierBatchKeepsTheHigherProvenMark()
    {
        var table = new TableModel(new HighWaterMarks());
        var first = table.Load(Batch(10, Puts(1, 10)));
        var second = table.Load(Batch(20, Puts(11, 20)));

        table.Land(second);
        Assert.Equal(20UL, table.Marks.Proven);
        table.Land(first);

        // The first batch's own proof (10) is older news: the rows up to 20 still prove 20.
        Assert.Equal(20UL, table.Marks.Proven);
        Assert.Equal(20UL, table.Marks.Written);
        Assert.Equal(0L, table.StoredMark);

        // So the next put-free commit up to 20 needs no mark of its own.
        var update = table.Load(Batch(20, JobMutation.Upsert(Ready(5) with { Priority = 9, BodyUnchanged = true })));
        Assert.Null(update.HighWater);
        table.Land(update);
        Assert.Equal(20UL, table.Recovery);
    }

    public static TheoryData<string> Orders => ["delete, put", "put, delete", "delete rolled back, put", "put, delete rolled back", "put, delete landed but reported failed"];

    [Theory]
    [MemberData(nameof(Orders))]
    public void Committed_DeleteOfTheProvingRowOverlappingAPut_RecoveryNeverFallsBelowACommittedMark(string order)
    {
        // Rows 5 and 10; no stored mark: row 10 alone proves the mark 10.
        var table = new TableModel(new HighWaterMarks(), rows: [5, 10]);

        // Loaded one after the other, both before either ends: the delete removes the proving
        // row; the put (an update of 5 and new rows) read Proven = 10 before it went.
        var deleting = table.Load(Batch(10, JobMutation.Delete(10)));
        var putting = table.Load(Batch(14, [JobMutation.Upsert(Ready(5, bodyBytes: 3)), .. Puts(11, 12)]));
        Assert.Equal(10L, deleting.HighWater); // counts the stored mark only, so it writes its own
        Assert.Equal(14L, putting.HighWater); // its rows reach 12 only

        switch (order)
        {
            case "delete, put":
                table.Land(deleting);
                table.Land(putting);
                break;
            case "put, delete":
                table.Land(putting);
                table.Land(deleting);
                break;
            case "delete rolled back, put":
                table.Fail(deleting, landed: false);
                table.Land(putting);
                break;
            case "put, delete rolled back":
                table.Land(putting);
                table.Fail(deleting, landed: false);
                break;
            default:
                table.Land(putting);
                table.Fail(deleting, landed: true);
                break;
        }

        Assert.Equal(14UL, table.Recovery);

        // Next: a put-free update and a delete of the highest row, overlapping too; both must
        // still leave a recovery at or above 14 whatever ended first.
        var update = table.Load(Batch(14, JobMutation.Upsert(Ready(5) with { BodyUnchanged = true })));
        var delete = table.Load(Batch(14, JobMutation.Delete(12)));
        table.Land(delete);
        table.Land(update);
        Assert.True(table.Recovery >= 14, $"recovery computes {table.Recovery}");
    }

    [Fact]
    public void Load_NewRowsOfAnOverlappingBatch_AreInsertedOnlyAboveWhatCommittedBatchesWrote()
    {
        var table = new TableModel(new HighWaterMarks(), rows: [1, 2]);
        var first = table.Load(Batch(10, Puts(3, 10)));
        var second = table.Load(Batch(20, Puts(11, 20)));
        Assert.Equal(8, first.Inserted.Count);
        Assert.Equal(10, second.Inserted.Count);

        table.Land(second); // TableModel.Land fails if an INSERT meets an existing row
        table.Fail(first, landed: true); // reply lost: its rows are there, though not Written

        // The first batch's jobs written again (its rows exist): the second batch raised Written
        // to 20 when it ended, so they go as upserts, not INSERTs that would meet those rows.
        var again = table.Load(Batch(20, Puts(3, 10)));
        Assert.Equal(0, again.Inserted.Count);
        Assert.Equal(8, again.WithBody.Count);
        table.Land(again);
        Assert.Equal(20UL, table.Recovery);
    }

    [Fact]
    public async Task Committed_FromTwoThreadsAtOnce_NeverLowersWhatTheOtherRaised()
    {
        // Each thread's Committed raises Written to its batch's mark; the mark only grows, so a
        // thread must always see at least its own. Without the lock, one thread's write-back of a
        // maximum it computed before the other's raise takes that raise back. A race, so many
        // rounds: the class without its lock failed within 50 ms of them on two cores.
        var marks = new HighWaterMarks();
        const int Rounds = 3_000_000;
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (ulong i = 0; i < Rounds; i++)
                {
                    ulong mark = i * 2 + (ulong)t + 1;
                    marks.Committed(mark, mark, mark, hasDeletes: false);
                    if (marks.Written < mark || marks.Stored < mark || marks.Proven < mark)
                    {
                        return $"after committing {mark}: Written {marks.Written}, Stored {marks.Stored}, Proven {marks.Proven}";
                    }
                }

                return null;
            },
            TaskCreationOptions.LongRunning)).ToArray();

        var failures = await Task.WhenAll(threads).WaitAsync(TestTimeout);
        Assert.All(failures, Assert.Null);
        Assert.Equal(Rounds * 2UL, marks.Written);
    }

    private static JobMutation[] Puts(ulong first, ulong last) =>
        [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(id => JobMutation.Upsert(Ready((ulong)id)))];

    /// <summary>
    /// The jobs table and the stored mark as PostgreSQL would hold them, with commits applied whole
    /// when they land, in the order the test chooses; each commit loaded into its own columns.
    /// </summary>
    private sealed class TableModel
    {
        private readonly HashSet<long> _rows;
        private readonly List<ulong> _committedMarks = [];

        public TableModel(HighWaterMarks marks, long[]? rows = null)
        {
            Marks = marks;
            _rows = [.. rows ?? []];
            marks.Reset(0, (ulong)(_rows.Count == 0 ? 0 : _rows.Max()));
        }

        public HighWaterMarks Marks { get; }

        public long StoredMark { get; private set; }

        /// <summary>What recovery would compute now.</summary>
        public ulong Recovery => (ulong)Math.Max(StoredMark, _rows.Count == 0 ? 0 : _rows.Max());

        public CommitColumns Load(MutationBatch batch)
        {
            var columns = new CommitColumns();
            columns.Load(batch, Marks);
            return columns;
        }

        public void Land(CommitColumns columns)
        {
            Apply(columns);
            Marks.Committed(columns.BatchHighWater, columns.ProvenWithoutMark, (ulong?)columns.HighWater, columns.HasDeletes);
            _committedMarks.Add(columns.BatchHighWater);
            Check();
        }

        /// <summary>A commit reported failed; <paramref name="landed"/> when it committed all the same (reply lost).</summary>
        public void Fail(CommitColumns columns, bool landed)
        {
            if (landed)
            {
                Apply(columns);
            }

            Marks.Failed();
            Check();
        }

        private void Apply(CommitColumns columns)
        {
            foreach (long id in columns.DeletedIds)
            {
                _rows.Remove(id);
            }

            foreach (long id in columns.Inserted.Ids)
            {
                Assert.True(_rows.Add(id), $"job {id} was sent as a plain INSERT but its row exists");
            }

            _rows.UnionWith(columns.WithBody.Ids);
            _rows.UnionWith(columns.KeepingBody.Ids);
            if (columns.HighWater is long mark)
            {
                StoredMark = Math.Max(StoredMark, mark);
            }
        }

        private void Check()
        {
            ulong recovery = Recovery;
            Assert.All(_committedMarks, mark => Assert.True(recovery >= mark, $"recovery computes {recovery}, below the committed mark {mark}"));
            Assert.True(Marks.Proven <= recovery, $"Proven {Marks.Proven} is above what recovery computes ({recovery})");
            Assert.True((ulong)StoredMark >= Marks.Stored, $"Stored {Marks.Stored} is above the stored mark {StoredMark}");
        }
    }
}
