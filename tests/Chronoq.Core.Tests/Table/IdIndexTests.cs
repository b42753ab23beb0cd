using Chronoq.Core.Internal;

namespace Chronoq.Core.Tests.Table;

/// <summary>The id index: pages for recent ids, a dictionary for the few long-lived ones.</summary>
public sealed class IdIndexTests
{
    [Fact]
    public void Churn_LongLivedJobsBehindTheNewestPage_MoveToTheDictionaryAndTheirPagesGo()
    {
        var index = new IdIndex();
        var model = new Dictionary<ulong, int>();
        var inFlight = new Queue<ulong>();
        const ulong jobs = 100 * IdIndex.PageSize;
        for (ulong id = 1; id <= jobs; id++)
        {
            var slot = (int)(id % 1_000_003);
            index.Add(id, slot);
            model.Add(id, slot);
            if (id % 1000 != 0)
            {
                inFlight.Enqueue(id); // every 1000th job lives on; the rest are deleted 300 puts later
            }

            if (inFlight.Count > 300)
            {
                var done = inFlight.Dequeue();
                index.Remove(done, model[done]);
                model.Remove(done);
            }
        }

        foreach (var (id, slot) in model)
        {
            Assert.Equal(slot, index.Find(id));
        }

        Assert.Equal(-1, index.Find(1));
        Assert.Equal(-1, index.Find(jobs + 1));
        Assert.Equal(model.Count, index.Count);
        // Only the newest pages are kept; the long-lived jobs of the 98 older ones are in the dictionary.
        Assert.InRange(index.PageCount, 1, 2);
        Assert.InRange(index.SparseCount, 97 * IdIndex.PageSize / 1000, 100 * IdIndex.PageSize / 1000);

        foreach (var id in model.Keys.ToList())
        {
            index.Remove(id, model[id]);
        }

        Assert.Equal(0, index.Count);
        Assert.Equal(0, index.SparseCount);
        Assert.Equal(-1, index.Find(1000));
    }

    [Fact]
    public void SteadyPutsAndDeletes_AllocateNothing()
    {
        var index = new IdIndex();
        ulong next = 1;
        void Churn(int count)
        {
            for (var i = 0; i < count; i++, next++)
            {
                index.Add(next, (int)(next % 512));
                if (next > 256)
                {
                    index.Remove(next - 256, (int)((next - 256) % 512));
                }
            }
        }

        Churn(4 * IdIndex.PageSize); // warm-up: the page table and the spare page exist
        var before = GC.GetAllocatedBytesForCurrentThread();
        Churn(50 * IdIndex.PageSize);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(256, index.Count);
    }

    [Fact]
    public void DensePages_StayPages_FourBytesAnId()
    {
        var index = new IdIndex();
        const int jobs = 10 * IdIndex.PageSize;
        for (var id = 1; id <= jobs; id++)
        {
            index.Add((ulong)id, id * 3);
        }

        // Delete all but every 16th job of the oldest pages: still dense enough to stay pages.
        for (var id = 1; id <= 4 * IdIndex.PageSize; id++)
        {
            if (id % 16 != 0)
            {
                index.Remove((ulong)id, id * 3);
            }
        }

        Assert.Equal(11, index.PageCount);
        Assert.Equal(0, index.SparseCount);
        Assert.Equal(16 * 3, index.Find(16));
        Assert.Equal(-1, index.Find(17));
        Assert.Equal(jobs * 3, index.Find(jobs));
    }

    [Fact]
    public void ScatteredIdsInAnyOrder_AllFound_SparsePagesDoNotStay()
    {
        var index = new IdIndex();
        var ids = Enumerable.Range(0, 20_000).Select(i => 1 + ((ulong)i * 10_007)).ToArray();
        new Random(5).Shuffle(ids);
        for (var i = 0; i < ids.Length; i++)
        {
            index.Add(ids[i], i);
        }

        for (var i = 0; i < ids.Length; i++)
        {
            Assert.Equal(i, index.Find(ids[i]));
        }

        Assert.Equal(-1, index.Find(2));
        Assert.Equal(ids.Length, index.Count);
        Assert.True(index.PageCount <= 3, $"{index.PageCount} pages for ids 10,007 apart");
    }

    [Fact]
    public void IdFarAheadOfADensePage_BothFound()
    {
        var index = new IdIndex();
        for (var id = 1; id <= IdIndex.PageSize; id++)
        {
            index.Add((ulong)id, id);
        }

        index.Add(1UL << 50, 7);
        index.Add((1UL << 50) + 1, 8);

        Assert.Equal(7, index.Find(1UL << 50));
        Assert.Equal(8, index.Find((1UL << 50) + 1));
        Assert.Equal(100, index.Find(100));
        Assert.Equal(IdIndex.PageSize + 2, index.Count);
    }

    [Fact]
    public void ReAddedIdBelowTheNewestPage_AfterItsPageWent_FoundAndRemovable()
    {
        var index = new IdIndex();
        index.Add(5, 50);
        index.Add(3 * IdIndex.PageSize, 60);
        index.Remove(5, 50); // its page was behind the newest and is now empty: it goes

        index.Add(5, 51); // a rollback puts the deleted job back

        Assert.Equal(51, index.Find(5));
        Assert.Equal(1, index.SparseCount);
        index.Remove(5, 51);
        Assert.Equal(-1, index.Find(5));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void Remove_WithAnotherSlot_LeavesTheEntry()
    {
        var index = new IdIndex();
        index.Add(9, 1);

        index.Remove(9, 2);

        Assert.Equal(1, index.Find(9));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void RandomOperations_MatchADictionary()
    {
        var random = new Random(11);
        var index = new IdIndex();
        var model = new Dictionary<ulong, int>();
        var live = new List<ulong>();
        ulong next = 1;
        for (var step = 0; step < 300_000; step++)
        {
            var roll = random.Next(100);
            if (roll < 52 || live.Count == 0)
            {
                next += (ulong)(random.Next(50) == 0 ? random.Next(1, 20_000) : 1);
                index.Add(next, step);
                model.Add(next, step);
                live.Add(next);
            }
            else if (roll < 97)
            {
                // Mostly old jobs go first (a queue), sometimes any.
                var at = random.Next(4) == 0 ? random.Next(live.Count) : random.Next(Math.Min(live.Count, 64));
                var id = live[at];
                live[at] = live[^1];
                live.RemoveAt(live.Count - 1);
                index.Remove(id, model[id]);
                model.Remove(id);
            }
            else
            {
                var probe = (ulong)random.NextInt64(1, (long)next + 10);
                Assert.Equal(model.TryGetValue(probe, out var slot) ? slot : -1, index.Find(probe));
            }
        }

        Assert.Equal(model.Count, index.Count);
        foreach (var (id, slot) in model)
        {
            Assert.Equal(slot, index.Find(id));
        }
    }
}
