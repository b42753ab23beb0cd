using Chronoq.Core.Internal;
using Chronoq.Core.Storage;

namespace Chronoq.Core.Tests.Table;

/// <summary>
/// A store hands recovered jobs over in its table's physical order, not by id. The engine must
/// still index them page by page, or every id behind the newest page costs a dictionary entry.
/// </summary>
public sealed class RecoveryIdOrderTests
{
    [Fact]
    public void Recover_JobsInScrambledOrder_AllIndexedInPages()
    {
        const int jobs = 20_000;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var records = Enumerable.Range(1, jobs)
            .Select(id => new JobRecord
            {
                Id = (ulong)id,
                Topic = "t",
                State = StoredJobState.Delayed,
                ReadyAtMs = now + 3_600_000,
                TtrMs = 60_000,
                CreatedAtMs = now,
            })
            .ToList();
        new Random(7).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(records));
        Assert.True(records[0].Id > IdIndex.PageSize); // the first id read is past the first page

        var core = new EngineCore(EngineOptions.Default, new MemoryJobStore(), TimeProvider.System);
        core.Recover(new RecoveredState(records, (ulong)jobs));

        Assert.Equal(0, core.IdsIndexedOutsidePages);
    }
}
