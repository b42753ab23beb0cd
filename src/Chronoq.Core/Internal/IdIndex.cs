namespace Chronoq.Core.Internal;

/// <summary>
/// Job id to slab index. Ids are handed out in increasing order and most live jobs are recent, so
/// the index is a direct map in pages of <see cref="PageSize"/> ids (4 bytes an id while a page is
/// in use, no hashing), found through a table of the pages between the oldest one kept and the
/// newest. A page goes when its last job does. A page that only a few long-lived jobs keep alive
/// would cost kilobytes per job, so once it is two pages behind the newest and under
/// <see cref="SparseBelow"/> live jobs, its jobs move to a dictionary (about 30 bytes a job) and
/// the page goes; ids below the newest page whose page is gone (recovery of scattered ids, a
/// rollback re-adding a deleted id) go to the dictionary directly. So an id is in its page or in
/// the dictionary, never both.
/// </summary>
internal sealed class IdIndex
{
    public const int PageBits = 12;
    public const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;

    /// <summary>
    /// A page under this many live jobs costs more than 128 bytes a job, four times the dictionary.
    /// </summary>
    public const int SparseBelow = PageSize / 32;

    // The page table never spans more than this many page numbers per page it holds (8 bytes a
    // table entry against 16 KB a page), so a dense page far behind the newest cannot make the
    // table huge: past it the oldest pages move to the dictionary.
    private const long MaxSpanPerPage = 2048;

    private const int None = -1;

    // Pages by page number (id >> PageBits) - _firstPage; an entry is slab index + 1, 0 when empty.
    private int[]?[] _pages = new int[]?[4];
    private int[] _live = new int[4];
    private long _firstPage;
    private long _newestPage = -1;
    private int _pageCount;
    private readonly Dictionary<ulong, int> _sparse = new();

    // The last page that went, all zero, for the next new page: a steady stream of puts and
    // deletes then allocates nothing.
    private int[]? _sparePage;

    /// <summary>Ids indexed.</summary>
    public int Count { get; private set; }

    /// <summary>Pages held (for tests).</summary>
    public int PageCount => _pageCount;

    /// <summary>Ids held in the dictionary instead of a page (for tests).</summary>
    public int SparseCount => _sparse.Count;

    /// <summary>The slab index of <paramref name="id"/>, or -1.</summary>
    public int Find(ulong id)
    {
        var position = (long)(id >> PageBits) - _firstPage;
        if ((ulong)position < (ulong)_pages.Length && _pages[position] is { } page)
        {
            return page[(int)id & PageMask] - 1;
        }

        return _sparse.Count != 0 && _sparse.TryGetValue(id, out var slot) ? slot : None;
    }

    /// <summary>Indexes <paramref name="id"/> (not indexed yet) at <paramref name="slot"/>.</summary>
    public void Add(ulong id, int slot)
    {
        var pageNumber = (long)(id >> PageBits);
        var position = pageNumber - _firstPage;
        if ((ulong)position >= (ulong)_pages.Length || _pages[position] is null)
        {
            if (pageNumber < _newestPage)
            {
                _sparse.Add(id, slot);
                Count++;
                return;
            }

            position = CreatePage(pageNumber);
        }

        _pages[position]![(int)id & PageMask] = slot + 1;
        _live[position]++;
        Count++;
    }

    /// <summary>Removes <paramref name="id"/> if it is indexed at <paramref name="slot"/>.</summary>
    public void Remove(ulong id, int slot)
    {
        var pageNumber = (long)(id >> PageBits);
        var position = pageNumber - _firstPage;
        if ((ulong)position < (ulong)_pages.Length && _pages[position] is { } page)
        {
            ref var entry = ref page[(int)id & PageMask];
            if (entry != slot + 1)
            {
                return;
            }

            entry = 0;
            Count--;
            var live = --_live[position];
            // The newest page stays even when empty: it is the one being filled.
            if (pageNumber < _newestPage && live == 0)
            {
                DropPage(position);
            }
            else if (pageNumber <= _newestPage - 2 && live < SparseBelow)
            {
                MoveToSparse(position);
            }

            return;
        }

        if (_sparse.TryGetValue(id, out var held) && held == slot)
        {
            _sparse.Remove(id);
            Count--;
        }
    }

    private long CreatePage(long pageNumber)
    {
        var previousNewest = _newestPage;
        _newestPage = Math.Max(_newestPage, pageNumber);
        var position = MakeRoom(pageNumber);
        _pages[position] = _sparePage ?? new int[PageSize];
        _sparePage = null;
        _live[position] = 0;
        _pageCount++;

        // Pages that just fell two behind the newest: sparse ones move to the dictionary (an empty
        // one behind the newest is already gone).
        var from = Math.Max(previousNewest - 1 - _firstPage, 0);
        var to = Math.Min(_newestPage - 2 - _firstPage, _pages.Length - 1);
        for (var p = from; p <= to; p++)
        {
            if (_pages[p] is not null && _live[p] < SparseBelow)
            {
                MoveToSparse(p);
            }
        }

        return pageNumber - _firstPage;
    }

    /// <summary>Slides and grows the table so it covers <paramref name="pageNumber"/>; returns its position.</summary>
    private long MakeRoom(long pageNumber)
    {
        SlideToOldest();
        while (_pageCount > 0 && pageNumber - _firstPage + 1 > MaxSpanPerPage * (_pageCount + 1))
        {
            MoveToSparse(0);
            SlideToOldest();
        }

        if (_pageCount == 0)
        {
            _firstPage = pageNumber;
        }

        var needed = pageNumber - _firstPage + 1;
        if (needed > _pages.Length)
        {
            var size = (int)Math.Max(needed, _pages.Length * 2L);
            Array.Resize(ref _pages, size);
            Array.Resize(ref _live, size);
        }

        return pageNumber - _firstPage;
    }

    /// <summary>Moves the table's start to its oldest page, so the table spans only pages held.</summary>
    private void SlideToOldest()
    {
        if (_pageCount == 0 || _pages[0] is not null)
        {
            return;
        }

        var oldest = 1;
        while (_pages[oldest] is null)
        {
            oldest++;
        }

        Array.Copy(_pages, oldest, _pages, 0, _pages.Length - oldest);
        Array.Clear(_pages, _pages.Length - oldest, oldest);
        Array.Copy(_live, oldest, _live, 0, _live.Length - oldest);
        Array.Clear(_live, _live.Length - oldest, oldest);
        _firstPage += oldest;
    }

    private void MoveToSparse(long position)
    {
        var page = _pages[position]!;
        var firstId = (ulong)(_firstPage + position) << PageBits;
        for (var i = 0; i < page.Length; i++)
        {
            if (page[i] != 0)
            {
                _sparse.Add(firstId + (ulong)i, page[i] - 1);
                page[i] = 0;
            }
        }

        DropPage(position);
    }

    /// <summary>Lets a page go; every entry must be 0.</summary>
    private void DropPage(long position)
    {
        _sparePage = _pages[position];
        _pages[position] = null;
        _live[position] = 0;
        _pageCount--;
    }
}
