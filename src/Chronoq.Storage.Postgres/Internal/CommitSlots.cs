using System.Diagnostics;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// The commits that may run at once (<see cref="PostgresStoreOptions.CommitsInFlight"/>): a slot
/// each, holding the <see cref="CommitColumns"/> that commit fills, so overlapping commits never
/// share buffers and a steady stream of them allocates none. A commit keeps its slot until it has
/// really ended, which may be after its caller stopped waiting: an abandoned commit still reads its
/// columns while it winds down, and holding the slot bounds how many can pile up.
/// <para>
/// An abandoned commit also holds back every commit that starts after it was given up, until it has
/// ended. Its caller was told it failed, so the engine may send its jobs again in a later batch;
/// were that batch to commit first, the abandoned one (still unread in its socket, or waiting on a
/// lock) could land after it and undo it. One at a time the single slot did this by itself. Commits
/// already started are not held back: they overlapped the abandoned one, so they touch other jobs.
/// </para>
/// (Never disposed: an abandoned commit may give its slot back after the store is gone, and a
/// semaphore whose wait handle nobody asked for holds nothing to free.)
/// </summary>
internal sealed class CommitSlots
{
    private readonly SemaphoreSlim _permits;
    private readonly Lock _lock = new();
    private readonly CommitColumns[] _free;
    private int _freeCount;
    private int _windingDown;
    private TaskCompletionSource? _woundDown;

    public CommitSlots(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _permits = new SemaphoreSlim(count, count);
        _free = new CommitColumns[count];
        for (int i = 0; i < count; i++)
        {
            _free[i] = new CommitColumns();
        }

        _freeCount = count;
    }

    /// <summary>How many commits may hold a slot at once.</summary>
    public int Count => _free.Length;

    /// <summary>
    /// Takes a slot once no abandoned commit is winding down, waiting at most <paramref name="timeout"/>
    /// in all; null when none came free in time.
    /// </summary>
    public async ValueTask<CommitColumns?> EnterAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task? windingDown;
        lock (_lock)
        {
            windingDown = _woundDown?.Task;
        }

        if (windingDown is not null)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                await windingDown.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }

            timeout -= Stopwatch.GetElapsedTime(started);
            if (timeout < TimeSpan.Zero)
            {
                timeout = TimeSpan.Zero;
            }
        }

        if (!await _permits.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        lock (_lock)
        {
            // The permit guarantees a free entry: there are as many entries as permits.
            var columns = _free[--_freeCount];
            _free[_freeCount] = null!;
            columns.Run = CommitRun.Running;
            columns.Uses++;
            return columns;
        }
    }

    /// <summary>
    /// The caller of the commit holding <paramref name="columns"/> (its <paramref name="use"/>-th
    /// holder, <see cref="CommitColumns.Uses"/> when it entered) stopped waiting for it: until it
    /// ends (<see cref="Exit"/>), commits that enter wait. Nothing when it has ended already, even
    /// if another commit holds the columns by now.
    /// </summary>
    public void Abandon(CommitColumns columns, int use)
    {
        lock (_lock)
        {
            if (columns.Run != CommitRun.Running || columns.Uses != use)
            {
                return;
            }

            columns.Run = CommitRun.Abandoned;
            if (++_windingDown == 1)
            {
                _woundDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Gives back a slot taken with <see cref="EnterAsync"/>, once its commit has really ended.</summary>
    public void Exit(CommitColumns columns)
    {
        TaskCompletionSource? woundDown = null;
        lock (_lock)
        {
            if (columns.Run == CommitRun.Abandoned && --_windingDown == 0)
            {
                woundDown = _woundDown;
                _woundDown = null;
            }

            columns.Run = CommitRun.Ended;
            _free[_freeCount++] = columns;
        }

        _permits.Release();
        woundDown?.SetResult();
    }

    /// <summary>
    /// Waits until no commit holds a slot, for at most <paramref name="timeout"/> in all, then lets
    /// the slots go again. False when some commit still held one at the end.
    /// </summary>
    public async Task<bool> WaitUntilIdleAsync(TimeSpan timeout)
    {
        long started = Stopwatch.GetTimestamp();
        int taken = 0;
        try
        {
            while (taken < Count)
            {
                TimeSpan remaining = timeout - Stopwatch.GetElapsedTime(started);
                if (remaining < TimeSpan.Zero || !await _permits.WaitAsync(remaining).ConfigureAwait(false))
                {
                    return false;
                }

                taken++;
            }

            return true;
        }
        finally
        {
            if (taken > 0)
            {
                _permits.Release(taken);
            }
        }
    }
}
