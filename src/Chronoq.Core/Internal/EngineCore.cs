using System.Collections.Concurrent;
using Chronoq.Core.Storage;

namespace Chronoq.Core.Internal;

/// <summary>
/// The engine loop and all job state. One dedicated thread runs <see cref="Run"/>: it drains
/// commands in batches, applies the batch commands to memory while collecting mutation records and
/// an undo log, commits the records once for the whole batch (group commit), then answers the
/// callers — or, when the commit fails, rolls memory back and answers UNAVAILABLE. Control commands
/// (reserves, peeks, stats, touches, pauses, streams) run after the commit, on committed state, and
/// are never persisted; deliveries to waiters happen only then, so no uncommitted job is delivered.
/// Nothing here is thread-safe except <see cref="Rent"/>, <see cref="Return"/>, <see cref="Post"/>,
/// <see cref="Enqueue"/>, <see cref="TryPostOneWay"/>, <see cref="ReturnAnswerBatch"/> and <see cref="StopAsync"/>.
/// </summary>
internal sealed class EngineCore
{
    private const int None = -1;
    private const long DeadlineSoonMarginMs = 1_000;

    // Commands applied between clock reads within a turn. A clock read costs as much as applying a
    // command; 64 commands take tens of microseconds, far below the wheel's 1 ms tick, so reading
    // the clock once per stride instead of per command changes no outcome measurably.
    private const int ClockStride = 64;

    private readonly EngineOptions _options;
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly bool _durable;

    // The memory store's commit cannot fail, so no undo log is kept for a rollback (before-images
    // copy two structs per touched job); only PutBatch's puts log theirs, for its all-or-nothing.
    private readonly bool _commitCanFail;

    // The command queue: many writers, the loop the only reader, lock-free (a channel takes a lock
    // per write). _closed refuses new commands once stopping; see TryWrite for the race with the
    // end, after which readers take turns through _drainLock.
    private readonly CommandQueue _queue = new();
    private readonly Lock _drainLock = new();
    private int _closed;

    // 1 while _tick is in the queue: a command may be queued only once at a time.
    private int _tickQueued;

    // Lock-free: callers rent and return on every call, from any thread. A queue, not a stack: a
    // ConcurrentStack allocates a node per push, the queue reuses its ring once it is large enough.
    private readonly ConcurrentQueue<EngineCommand> _pool = new();

    // One command kept per thread in front of the pool: a caller reading an answer and sending its
    // next command (the common chain) returns and rents it with no atomic operation.
    [ThreadStatic]
    private static EngineCommand? t_spareCommand;
    private readonly EngineCommand _tick;

    // The tick the loop runs itself when its timed sleep ends; never queued, unlike _tick.
    private readonly EngineCommand _timersDue;
    private readonly TimingWheel _wheel;
    private readonly JobTable _table;
    private readonly List<Topic> _topics = new();
    private readonly Dictionary<string, Topic> _topicsByName = new(StringComparer.Ordinal);
    private Topic? _lastTopic;
    private readonly List<object?> _auxOwners = new();
    private readonly List<Topic> _dirty = new();
    // Live waiters; each knows its position (Waiter.Index) so leaving is a swap with the last one.
    private readonly List<Waiter> _waiters = new();
    private readonly List<OneShotWaiter> _polls = new();
    private readonly List<EngineCommand> _deferred = new();
    private readonly List<int> _scratch = new();

    // The batch commands are applied into _current; _committing holds earlier batches whose commits
    // run (at most _maxCommitsInFlight with a commit running), oldest first, finished in that order.
    private PendingBatch _current = new();
    private readonly Queue<PendingBatch> _committing = new();
    private readonly Stack<PendingBatch> _spareBatches = new();
    private readonly int _maxCommitsInFlight;

    // The batch enqueued last while it is still committing, else null.
    private PendingBatch? _newestCommitting;

    // Queued (once at a time, like _tick) when a commit completes, so the loop wakes to finish it.
    private readonly EngineCommand _commitDone;
    private readonly Action _onCommitCompleted;
    private int _commitDoneQueued;
    private readonly BodyCache _bodies;

    // Jobs handed out this turn whose bodies were dropped, answered after one batched store read.
    private readonly List<BodyRequest> _bodyRequests = new();
    private readonly List<ulong> _bodyIds = new();
    private readonly Dictionary<ulong, int> _bodyIndex = new();
    private readonly long _startMs;
    private readonly string _version;
    private ITimer? _timer;
    private long _armedForMs = long.MaxValue;

    // With the system clock the engine thread waits for the wheel's next expiration itself, as a
    // timed wait on its wake-up semaphore. A thread-pool timer fires on a coarse clock (about
    // 1.25 ms late at the median here, 4.8 ms at p99) and then needs a pool hop to post the tick;
    // other TimeProviders (tests' manual clock) drive the loop through one ITimer of theirs.
    private readonly bool _waitsForTimers;
    private bool _running;
    private long _wakeAtMs = long.MaxValue;
    private long _nowMs;
    private ulong _lastId;
    private ulong _lastToken;
    private long _burySeq;
    private long _waiterSeq;
    private ulong _totalPuts;
    private ulong _totalDeletes;
    private ulong _totalTimeouts;
    private Thread? _thread;
    private volatile bool _stopped;

    // Admitted commands pushed onto the command queue and not yet taken by the loop (the queue bound).
    private int _queued;

    private long _turns;

    private static readonly EngineStatus ShuttingDown = EngineStatus.Unavailable("the engine is shutting down");

    // 1 while the engine thread is about to block: only then does a writer pay for a wake-up
    // (one CAS decides which writer signals), so a busy engine is never signalled per command.
    private int _sleeping;
    private readonly SemaphoreSlim _wake = new(0);

    // The engine whose answers this thread is delivering (inside AnswerBatch.Execute), and whether
    // a command queued meanwhile still owes the loop its wake-up. _deliveriesPending counts the
    // batches queued and not yet finished, so the loop never sleeps without a bound while one of
    // them may owe it a wake-up.
    [ThreadStatic]
    private static EngineCore? t_delivering;

    [ThreadStatic]
    private static bool t_wakeOwed;

    private int _deliveriesPending;

    // The longest the loop sleeps while answer batches are out.
    private const int DeferredWakeLimitMs = 1;

    // Answers of the current turn, handed to callers when the turn ends (see FlushAnswers).
    private readonly List<EngineCommand> _answers = new();
    private readonly List<EngineCommand> _answersAfterBodies = new();
    private readonly Stack<AnswerBatch> _answerBatches = new();

    public EngineCore(EngineOptions options, IJobStore store, TimeProvider time)
    {
        _options = options;
        _store = store;
        _time = time;
        _durable = store.IsDurable;
        _waitsForTimers = ReferenceEquals(time, TimeProvider.System);
        // Only a durable store's commit can fail (the memory store completes every commit). Asked
        // through IsDurable, not the store's type, so a wrapper around the memory store counts too.
        _commitCanFail = _durable;
        _tick = new EngineCommand(false) { Kind = CommandKind.Tick };
        _timersDue = new EngineCommand(false) { Kind = CommandKind.Tick };
        _commitDone = new EngineCommand(false) { Kind = CommandKind.CommitDone };
        _onCommitCompleted = PostCommitDone;
        _maxCommitsInFlight = Math.Max(1, store.MaxCommitsInFlight);
        _nowMs = NowMs();
        _startMs = _nowMs;
        _wheel = new TimingWheel(_nowMs);
        _table = new JobTable(_wheel);
        _bodies = new BodyCache(_table, options.BodyCacheBytes, _durable);
        _version = options.Version
            ?? typeof(EngineCore).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
            ?? "0.0.0";
    }

    public bool Stopped => _stopped;

    // ------------------------------------------------------------------ start, stop, posting

    /// <summary>
    /// The recovered jobs by increasing id. The store reads them in the table's physical order,
    /// which put/delete churn scrambles (new rows fill freed space), and the id index is a direct
    /// map filled page by page: an id behind the newest page would go to its dictionary, about
    /// 30 bytes a job instead of 4.
    /// </summary>
    private static IEnumerable<JobRecord> InIdOrder(IReadOnlyList<JobRecord> jobs)
    {
        var ids = new ulong[jobs.Count];
        var order = new int[jobs.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = jobs[i].Id;
            order[i] = i;
        }

        Array.Sort(ids, order);
        foreach (var i in order)
        {
            yield return jobs[i];
        }
    }

    /// <summary>Ids the job table's index keeps outside its pages (for tests).</summary>
    internal int IdsIndexedOutsidePages => _table.IdsOutsidePages;

    /// <summary>Loads the recovered jobs; call before <see cref="Start"/>.</summary>
    public void Recover(RecoveredState state)
    {
        _lastId = state.IdHighWater;
        var buried = new List<JobRecord>();
        foreach (var record in InIdOrder(state.Jobs))
        {
            _lastId = Math.Max(_lastId, record.Id);
            var topic = GetOrCreateTopic(record.Topic);
            if (topic.Index >= JobSlot.MaxTopics)
            {
                // Only a store written before the cap existed can hold this; say so rather than fail in a setter.
                throw new InvalidOperationException(
                    $"the store holds jobs in more than {JobSlot.MaxTopics} topics (topic {record.Topic}, job {record.Id}); this server keeps at most {JobSlot.MaxTopics} topics with jobs");
            }

            var slot = _table.Allocate(record.Id);
            ref var job = ref _table.Slots[slot];
            job.Topic = topic.Index;
            job.Priority = record.Priority;
            job.TtrMs = (int)Math.Clamp(record.TtrMs, RequestRules.MinTtrMs, int.MaxValue);
            job.CreatedAtMs = record.CreatedAtMs;
            _table.SetReadyAtMs(slot, record.ReadyAtMs);
            if (record.BodyUnchanged)
            {
                // The store left the body out (past the body budget): it is read back on demand.
                _table.DropBody(slot);
            }
            else
            {
                _table.SetBody(slot, record.Body);
            }

            if (record.Key is { Length: > 0 } || record.Headers is { Count: > 0 } || record.Reserves + record.Timeouts + record.Releases + record.Buries + record.Kicks > 0 || record.State == StoredJobState.Buried)
            {
                ref var extra = ref _table.Extra(slot);
                extra.Key = string.IsNullOrEmpty(record.Key) ? null : record.Key;
                extra.Headers = record.Headers is { Count: > 0 } ? record.Headers : null;
                extra.Reserves = record.Reserves;
                extra.Timeouts = record.Timeouts;
                extra.Releases = record.Releases;
                extra.Buries = record.Buries;
                extra.Kicks = record.Kicks;
                extra.BuriedAtMs = record.BuriedAtMs;
                if (extra.Key is not null)
                {
                    topic.Keys[extra.Key] = slot;
                }
            }

            switch (record.State)
            {
                case StoredJobState.Buried:
                    job.State = JobState.Buried;
                    buried.Add(record);
                    continue;
                case StoredJobState.Delayed when record.ReadyAtMs > _nowMs:
                    job.State = JobState.Delayed;
                    break;
                default:
                    // Reserved jobs come back ready (their holders are gone), so do overdue delayed jobs.
                    job.State = JobState.Ready;
                    break;
            }

            _bodies.Track(slot, job.State);
            Attach(slot);
        }

        // Buried jobs keep their oldest-buried-first order across the restart.
        buried.Sort(static (a, b) => a.BuriedAtMs != b.BuriedAtMs ? a.BuriedAtMs.CompareTo(b.BuriedAtMs) : a.Id.CompareTo(b.Id));
        foreach (var record in buried)
        {
            var slot = _table.Find(record.Id);
            _table.Extra(slot).BurySeq = ++_burySeq;
            _bodies.Track(slot, JobState.Buried);
            Attach(slot);
        }

        // Every recovered job is durable, so bodies past the budget can go at once.
        _bodies.Trim();
        Telemetry.EngineMetrics.PublishBodyCacheSize(_table.BodyBytes);

        _dirty.Clear();
        foreach (var topic in _topics)
        {
            topic.Dirty = false;
        }
    }

    public void Start()
    {
        if (!_waitsForTimers)
        {
            _timer = _time.CreateTimer(static s => ((EngineCore)s!).PostTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        _running = true;
        _thread = new Thread(Run) { IsBackground = true, Name = "chronoq-engine" };
        _thread.Start();
    }

    /// <summary>Stops accepting commands and waits until the loop answered every pending one with UNAVAILABLE and ended the streams.</summary>
    public Task StopAsync()
    {
        // Other threads let this engine's spare go when they next use an engine (see Rent).
        if (ReferenceEquals(t_spareCommand?.Owner, this))
        {
            t_spareCommand = null;
        }

        // A full fence before WakeIfSleeping reads the flag, as after a write (see TryWrite).
        Interlocked.Exchange(ref _closed, 1);
        WakeIfSleeping();
        var thread = _thread;
        if (thread is null)
        {
            return Task.CompletedTask;
        }

        return Task.Factory.StartNew(static t => ((Thread)t!).Join(), thread, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public EngineCommand Rent(CommandKind kind)
    {
        var command = t_spareCommand;
        if (command is not null)
        {
            // Taken either way: another engine's spare is let go, or it would keep that engine
            // (its table, store and bodies) reachable from this thread after it stopped.
            t_spareCommand = null;
            if (!ReferenceEquals(command.Owner, this))
            {
                command = null;
            }
        }

        if (command is null && !_pool.TryDequeue(out command))
        {
            command = new EngineCommand(_options.RunContinuationsAsynchronously, this);
        }

        command.Kind = kind;
        return command;
    }

    public void Return(EngineCommand command)
    {
        command.Reset();
        if (t_spareCommand is null || !ReferenceEquals(t_spareCommand.Owner, this))
        {
            t_spareCommand = command;
            return;
        }

        _pool.Enqueue(command);
    }

    /// <summary>Queues a command for the loop; when the engine is stopped it is answered UNAVAILABLE at once.</summary>
    public ValueTask Post(EngineCommand command)
    {
        var task = command.AsValueTask();
        Enqueue(command);
        return task;
    }

    /// <summary>
    /// Queues a command whose result is read through one of its typed ValueTasks. When the queue
    /// holds <see cref="EngineOptions.MaxQueuedCommands"/> already the command is answered
    /// RESOURCE_EXHAUSTED at once: callers learn to back off instead of the queue growing without end.
    /// </summary>
    public void Enqueue(EngineCommand command)
    {
        // Closing a stream returns its held jobs and frees its waiter, so it is never refused.
        if (command.Kind != CommandKind.CloseStream)
        {
            if (Interlocked.Increment(ref _queued) > _options.MaxQueuedCommands)
            {
                Interlocked.Decrement(ref _queued);
                command.Complete(EngineStatus.Exhausted(
                    $"the engine's command queue is full: {_options.MaxQueuedCommands} commands are waiting (the limit MaxQueuedCommands, Chronoq:Engine:MaxQueuedCommands); retry later"));
                return;
            }

            command.Admitted = true;
        }

        if (!TryWrite(command))
        {
            Unadmit(command);
            command.Complete(ShuttingDown);
        }
    }

    /// <summary>Gives back a command's place under the queue bound when it leaves without a turn taking it.</summary>
    private void Unadmit(EngineCommand command)
    {
        if (command.Admitted)
        {
            command.Admitted = false;
            Interlocked.Decrement(ref _queued);
        }
    }

    /// <summary>Posts without completion tracking (stream close from a finaliser path, cancellation).</summary>
    public bool TryPostOneWay(EngineCommand command) => TryWrite(command);

    private void PostCommitDone()
    {
        if (Interlocked.Exchange(ref _commitDoneQueued, 1) == 0)
        {
            TryPostOneWay(_commitDone);
        }
    }

    private void PostTick()
    {
        if (Interlocked.Exchange(ref _tickQueued, 1) == 0)
        {
            TryPostOneWay(_tick);
        }
    }

    /// <summary>
    /// Queues the command and wakes a sleeping loop; false once the engine is stopping. A writer
    /// that passed the closed check just before the loop ended finds <see cref="_stopped"/> set
    /// after its write and drains the queue itself, so no command is left unanswered: the loop sets
    /// the flag before its own drain, and each side's write is followed by a full fence before its
    /// read of the other's, so at least one of the two drains sees the command.
    /// </summary>
    private bool TryWrite(EngineCommand command)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return false;
        }

        _queue.Push(command);
        if (ReferenceEquals(t_delivering, this))
        {
            // A caller continuing inside an AnswerBatch: the batch wakes the loop once at its end,
            // so the loop takes the batch's commands in one turn instead of one small turn each.
            t_wakeOwed = true;
        }
        else
        {
            WakeIfSleeping();
        }

        if (_stopped)
        {
            AnswerQueuedUnavailable();
        }

        return true;
    }

    /// <summary>
    /// Called by an <see cref="AnswerBatch"/> before it runs its callers' continuations on this
    /// thread: commands they queue meanwhile defer the loop's wake-up to <see cref="EndDelivery"/>.
    /// </summary>
    public void BeginDelivery() => t_delivering = this;

    /// <summary>Ends a batch's delivery and pays the wake-up its callers' commands deferred, if any.</summary>
    public void EndDelivery()
    {
        t_delivering = null;
        // A full fence before WakeIfSleeping reads the flag, as after a write (see TryWrite).
        Interlocked.Decrement(ref _deliveriesPending);
        if (t_wakeOwed)
        {
            t_wakeOwed = false;
            WakeIfSleeping();
        }
    }

    // The push's compare-exchange (or StopAsync's exchange) is a full fence before the flag read;
    // the engine sets _sleeping before its last look at the queue, so either it sees the command or
    // this writer sees it asleep and wakes it.
    private void WakeIfSleeping()
    {
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1)
        {
            _wake.Release();
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private DateTimeOffset ToTime(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    // ------------------------------------------------------------------ the loop

    private void Run()
    {
        try
        {
            while (true)
            {
                if (!_queue.TryTake(out var first))
                {
                    if (!Sleep(out var timersDue))
                    {
                        break;
                    }

                    if (!timersDue)
                    {
                        continue;
                    }

                    first = _timersDue;
                }

                RunTurn(first);
            }
        }
        finally
        {
            Shutdown();
        }
    }

    /// <summary>
    /// Blocks until a command may be queued or, when the engine waits for its own timers, until the
    /// wheel's next expiration (then <paramref name="timersDue"/>); false once the engine is
    /// stopping and the queue is empty.
    /// </summary>
    private bool Sleep(out bool timersDue)
    {
        timersDue = false;
        Interlocked.Exchange(ref _sleeping, 1);
        var closed = Volatile.Read(ref _closed) != 0;
        if (!_queue.IsEmpty || closed)
        {
            // Work (or the end) arrived meanwhile. If a writer already claimed the flag its release
            // stays on the semaphore and only costs one empty loop later.
            Interlocked.CompareExchange(ref _sleeping, 0, 1);
            return !(closed && _queue.IsEmpty);
        }

        // A batch that deferred its wake-up pays it when it ends; one whose caller blocks (waiting
        // synchronously for its own command) never ends, so while batches are out the loop also
        // looks again on its own after a short while.
        var deferred = Volatile.Read(ref _deliveriesPending) > 0;
        if (_wakeAtMs == long.MaxValue && !deferred)
        {
            _wake.Wait();
            return true;
        }

        // To the fraction of a millisecond (see PreciseWait): a wake-up rounded up to whole
        // milliseconds made every delayed job 0.5 ms later on average.
        var untilDue = _wakeAtMs == long.MaxValue
            ? double.MaxValue
            : (DateTimeOffset.FromUnixTimeMilliseconds(_wakeAtMs) - _time.GetUtcNow()).TotalMilliseconds;
        // Bounded only to look at the queue again: no timer is due when such a wait ends, so the
        // loop looks at the queue without running a turn (a blocked caller would otherwise cost a
        // turn every millisecond for as long as it blocks).
        var onlyToLook = deferred && untilDue > DeferredWakeLimitMs;
        if (onlyToLook)
        {
            untilDue = DeferredWakeLimitMs;
        }

        if (untilDue > 0 && PreciseWait.Wait(_wake, untilDue))
        {
            return true;
        }

        // Timed out: no writer signals this sleep any more. Same as above if one claimed the flag.
        Interlocked.CompareExchange(ref _sleeping, 0, 1);
        timersDue = !onlyToLook;
        return true;
    }

    /// <summary>
    /// Runs one turn over the commands queued now, if any; false when the queue was empty. Lets the
    /// engine-ceiling benchmark drive the loop's work on its own thread (the engine not started).
    /// </summary>
    internal bool TryRunTurn()
    {
        if (!_queue.TryTake(out var first))
        {
            return false;
        }

        RunTurn(first);
        return true;
    }

    /// <summary>Bytes of bodies held in memory (written by the engine thread only; tests read it once the engine is idle).</summary>
    internal long HeldBodyBytes => _table.BodyBytes;

    /// <summary>Turns run so far (written by the engine thread only): benchmarks divide commands by it.</summary>
    internal long Turns => Volatile.Read(ref _turns);

    private void RunTurn(EngineCommand first)
    {
        Volatile.Write(ref _turns, _turns + 1);
        CatchUpTime();
        var command = first;
        var count = 0;
        var admitted = 0;
        while (true)
        {
            if (command.Admitted)
            {
                command.Admitted = false;
                admitted++;
            }

            if (command.IsBatchCommand)
            {
                if (count % ClockStride == ClockStride - 1)
                {
                    CatchUpTime();
                }

                if (_committing.Count > 0 && DependsOnCommitting(command))
                {
                    FinishAllCommitting();
                }

                ExecuteBatchCommand(command);
                _current.Applied.Add(command);
            }
            else if (ReferenceEquals(command, _commitDone))
            {
                // Taken: a commit completing from now on queues it again. FinishCommitted below
                // sees every commit that completed before this point.
                Interlocked.Exchange(ref _commitDoneQueued, 0);
            }
            else
            {
                _deferred.Add(command);
            }

            if (++count >= _options.MaxCommandsPerBatch || !_queue.TryTake(out command!))
            {
                break;
            }
        }

        // One atomic update per turn frees the queue places of everything taken.
        if (admitted > 0)
        {
            Interlocked.Add(ref _queued, -admitted);
        }

        FinishCommitted();
        if (_current.Records.Mutations.Count > 0)
        {
            // Slots this batch freed (a delete, release or bury of a streamed job) take their next
            // job now, before StartCommit may wait for an earlier commit, instead of one commit
            // later: a prefetch-1 stream would otherwise wait a whole commit per job. Only jobs no
            // unfinished batch touched go out, so nothing is delivered that is not durable already
            // (CanDeliverBeforeCommit).
            Dispatch(beforeCommit: true);
        }

        StartCommit();

        CatchUpTime();
        if (_committing.Count > 0 && NeedsCommittedState())
        {
            // Control commands read and answer committed state only (a peek must not show a put
            // not yet durable), and dropping bodies needs every job durable (BodyCache.Trim).
            FinishAllCommitting();
        }

        for (var i = 0; i < _deferred.Count; i++)
        {
            if (i % ClockStride == ClockStride - 1)
            {
                CatchUpTime();
            }

            ExecuteControlCommand(_deferred[i]);
        }

        _deferred.Clear();
        CatchUpTime();
        Dispatch();
        ReadBackBodies();

        if (_committing.Count == 0)
        {
            // No commit runs (each is done or rolled back), so every job in the table is durable.
            _bodies.Trim();
        }

        ArmTimer();
        Telemetry.EngineMetrics.PublishWheelSize(_wheel.Count);
        Telemetry.EngineMetrics.PublishBodyCacheSize(_table.BodyBytes);
        FlushAnswers();
    }

    /// <summary>
    /// Answers the turn's callers. With asynchronous continuations the answers go to the thread pool
    /// in chunks, each work item running its callers' continuations inline, instead of one pool hop
    /// per answer; either way callers never run on the engine thread.
    /// </summary>
    private void FlushAnswers()
    {
        var count = _answers.Count;
        if (count == 0)
        {
            return;
        }

        if (!_options.RunContinuationsAsynchronously || count == 1)
        {
            foreach (var command in _answers)
            {
                command.Complete();
            }

            _answers.Clear();
            return;
        }

        // Counted before any is queued, so a sleep after this turn is bounded (see Sleep).
        Interlocked.Add(ref _deliveriesPending, (count + AnswerBatch.Capacity - 1) / AnswerBatch.Capacity);
        for (var start = 0; start < count; start += AnswerBatch.Capacity)
        {
            AnswerBatch? batch;
            lock (_answerBatches)
            {
                _answerBatches.TryPop(out batch);
            }

            batch ??= new AnswerBatch(this);
            batch.Fill(_answers, start, Math.Min(AnswerBatch.Capacity, count - start));
            ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);
        }

        _answers.Clear();
    }

    private void FlushAnswersNotAwaitingBodies()
    {
        var kept = 0;
        for (var i = 0; i < _answers.Count; i++)
        {
            var command = _answers[i];
            if (command.AwaitsBody)
            {
                command.AwaitsBody = false;
                _answersAfterBodies.Add(command);
            }
            else
            {
                _answers[kept++] = command;
            }
        }

        _answers.RemoveRange(kept, _answers.Count - kept);
        FlushAnswers();
        _answers.AddRange(_answersAfterBodies);
        _answersAfterBodies.Clear();
    }

    /// <summary>Takes back a chunk whose answers were delivered.</summary>
    public void ReturnAnswerBatch(AnswerBatch batch)
    {
        lock (_answerBatches)
        {
            _answerBatches.Push(batch);
        }
    }

    /// <summary>
    /// Hands the current batch to the store and opens the next. With one commit in flight (the
    /// store's <see cref="IJobStore.MaxCommitsInFlight"/> is 1) it waits for the commit, as a plain
    /// group commit does. With more, the loop goes on applying commands while commits run; it waits
    /// for the oldest only when the store already runs as many as it allows, which also bounds the
    /// applied-but-unanswered commands (the command queue's bound covers only those not taken).
    /// </summary>
    private void StartCommit()
    {
        var batch = _current;
        if (batch.Applied.Count == 0 && batch.Records.Mutations.Count == 0)
        {
            return;
        }

        var records = batch.Records.Mutations.Count;
        if (records == 0 && _newestCommitting is { } newest)
        {
            // Nothing to commit (every command refused, say): answered right after the batch
            // before it, in order, without a place among the commits in flight.
            newest.Followers.AddRange(batch.Applied);
            batch.Clear();
            return;
        }

        if (records > 0)
        {
            while (_committing.Count >= _maxCommitsInFlight)
            {
                FinishOldestCommitting();
            }
        }

        _current = _spareBatches.Count > 0 ? _spareBatches.Pop() : new PendingBatch();
        if (records > 0)
        {
            batch.Records.IdHighWater = _lastId;

            // The commit's span is current while the store is called (its own spans are children)
            // and not after: the next commit's span would otherwise become its child.
            var outside = System.Diagnostics.Activity.Current;
            batch.Measurement = Telemetry.EngineMetrics.StartCommit(records);
            try
            {
                var commit = _store.CommitAsync(batch.Records, CancellationToken.None);
                if (!commit.IsCompletedSuccessfully)
                {
                    var task = commit.AsTask();
                    batch.Commit = task;
                    if (_maxCommitsInFlight > 1)
                    {
                        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onCommitCompleted);
                    }
                }
            }
#pragma warning disable CA1031 // Thrown before a task came back: Finish sees it as the commit's failure.
            catch (Exception e)
#pragma warning restore CA1031
            {
                batch.Commit = Task.FromException(e);
            }
            finally
            {
                System.Diagnostics.Activity.Current = outside;
            }
        }

        _committing.Enqueue(batch);
        _newestCommitting = batch;
        if (_maxCommitsInFlight == 1)
        {
            FinishAllCommitting();
        }
        else
        {
            FinishCommitted();
        }
    }

    /// <summary>Finishes the oldest batches whose commits have completed, in order, without waiting.</summary>
    private void FinishCommitted()
    {
        while (_committing.TryPeek(out var batch) && batch.IsCommitted)
        {
            Finish(_committing.Dequeue());
        }
    }

    private void FinishOldestCommitting() => Finish(_committing.Dequeue());

    private void FinishAllCommitting()
    {
        while (_committing.Count > 0)
        {
            FinishOldestCommitting();
        }
    }

    /// <summary>
    /// Waits for the batch's commit if it still runs, then answers its callers: frees the slots of
    /// its deletes when it is durable, or rolls memory back and answers UNAVAILABLE when it is not.
    /// Batches are finished oldest first, and no later batch touched what this one did (see
    /// <see cref="DependsOnCommitting"/>), so its rollback puts back exactly its own changes.
    /// </summary>
    private void Finish(PendingBatch batch)
    {
        var failed = false;
        if (batch.Commit is { } commit)
        {
            try
            {
                commit.GetAwaiter().GetResult();
            }
#pragma warning disable CA1031 // Any commit failure means the batch is not durable: roll back and answer UNAVAILABLE.
            catch (Exception)
#pragma warning restore CA1031
            {
                failed = true;
            }
        }

        batch.Measurement.Dispose();
        if (failed)
        {
            Rollback(batch);
        }
        else
        {
            foreach (var slot in batch.PendingFree)
            {
                _table.Free(slot);
            }
        }

        foreach (var command in batch.Applied)
        {
            if (failed)
            {
                command.Status = EngineStatus.Unavailable("storage is unavailable; nothing was applied");
            }

            _answers.Add(command);
        }

        _answers.AddRange(batch.Followers);
        if (ReferenceEquals(batch, _newestCommitting))
        {
            _newestCommitting = null;
        }

        batch.Clear();
        _spareBatches.Push(batch);
    }

    /// <summary>
    /// Whether the command would read or change what a batch still committing touched; it must then
    /// wait for those batches. A later batch that never looks at an earlier one's jobs is durable
    /// on its own whatever becomes of the earlier one, which is what lets both commit at once.
    /// Conservative where an exact answer costs more than it saves: a key (a put with one may find
    /// an uncommitted job, or take a key an uncommitted delete freed), a kick (it picks jobs by
    /// order), and an id not found (an uncommitted delete may have removed it).
    /// </summary>
    private bool DependsOnCommitting(EngineCommand command)
    {
        switch (command.Kind)
        {
            case CommandKind.Put:
                return !string.IsNullOrEmpty(command.Spec.Key);
            case CommandKind.PutBatch:
                foreach (var spec in command.Specs!)
                {
                    if (!string.IsNullOrEmpty(spec.Key))
                    {
                        return true;
                    }
                }

                return false;
            case CommandKind.Delete:
            case CommandKind.Release:
            case CommandKind.Bury:
            case CommandKind.KickJob:
                return DependsOnCommitting(command.Id);
            case CommandKind.DeleteBatch:
                foreach (var target in command.Targets!)
                {
                    if (DependsOnCommitting(target.Id))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return true;
        }
    }

    private bool DependsOnCommitting(ulong id)
    {
        var slot = _table.Find(id);
        return slot == None || TouchedByCommitting(slot);
    }

    private bool TouchedByCommitting(int slot)
    {
        foreach (var batch in _committing)
        {
            if (batch.Touched.Contains(slot))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a job's latest change may not be durable yet (its batch is applied or committing).</summary>
    private bool IsUncommitted(int slot) => _current.Touched.Contains(slot) || (_committing.Count > 0 && TouchedByCommitting(slot));

    /// <summary>Whether this turn must see committed state only: a control command to run, or bodies well over their budget to drop.</summary>
    private bool NeedsCommittedState()
    {
        foreach (var command in _deferred)
        {
            if (command.Kind != CommandKind.Tick)
            {
                return true;
            }
        }

        return _bodies.IsOverSlack;
    }

    private void Shutdown()
    {
        // Commits still running end within the store's bound; their callers get their answers.
        FinishAllCommitting();
        _stopped = true;
        Interlocked.MemoryBarrier(); // the flag before the drain's reads (see TryWrite)
        FlushAnswers();
        _timer?.Dispose();
        AnswerQueuedUnavailable();
        var unavailable = ShuttingDown;
        foreach (var waiter in _waiters)
        {
            switch (waiter)
            {
                case OneShotWaiter one:
                    one.Alive = false;
                    one.Command.Complete(unavailable);
                    break;
                case StreamWaiter stream:
                    stream.Alive = false;
                    stream.Events.Writer.TryComplete();
                    break;
            }
        }

        _waiters.Clear();
    }

    /// <summary>Answers every queued command UNAVAILABLE; run by the stopped loop and by a writer that raced with its end.</summary>
    private void AnswerQueuedUnavailable()
    {
        var unavailable = ShuttingDown;
        lock (_drainLock)
        {
            while (_queue.TryTake(out var command))
            {
                Unadmit(command);
                if (command.Kind is CommandKind.Tick or CommandKind.CommitDone or CommandKind.CancelReserveOne)
                {
                    continue;
                }

                if (command.Kind == CommandKind.CloseStream)
                {
                    command.Stream!.Events.Writer.TryComplete();
                }

                command.Complete(unavailable);
            }
        }
    }

    private void ArmTimer()
    {
        if (!_running)
        {
            return;
        }

        var next = _wheel.NextExpiration();
        if (_waitsForTimers)
        {
            // Sleep waits until then; a turn that is due now runs at once since Sleep finds it past.
            _wakeAtMs = next ?? long.MaxValue;
            return;
        }

        if (_timer is null)
        {
            return;
        }

        if (next is null)
        {
            if (_armedForMs != long.MaxValue)
            {
                _armedForMs = long.MaxValue;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        var due = next.Value - NowMs();
        if (due <= 0)
        {
            // Timers are due now (or more fired than one turn may take): take another turn at once.
            _armedForMs = long.MaxValue;
            PostTick();
            return;
        }

        if (next.Value != _armedForMs)
        {
            _armedForMs = next.Value;
            _timer.Change(TimeSpan.FromMilliseconds(due), Timeout.InfiniteTimeSpan);
        }
    }

    // ------------------------------------------------------------------ time

    private void CatchUpTime()
    {
        var now = Math.Max(NowMs(), _nowMs);
        if (now == _nowMs && !(_wheel.NextExpiration() <= now))
        {
            return;
        }

        _nowMs = now;
        _wheel.Advance(now);
        // The budget counts timers and, for a topic's delay timer, each job it makes ready.
        var budget = _options.MaxTimersPerTurn;
        while (budget > 0 && _wheel.TryTakeDue(out var id))
        {
            if (id >= 0)
            {
                FireReservationTimer(id);
                budget--;
            }
            else if (_auxOwners[~id] is Topic topic && id == topic.DelayTimer)
            {
                budget -= FireDelays(topic, budget);
            }
            else
            {
                FireAuxTimer(id);
                budget--;
            }
        }
    }

    /// <summary>
    /// A topic's delay timer: its delayed jobs due by now become ready, in ready-at order, at most
    /// <paramref name="budget"/> of them (the timer comes due again at once for the rest); returns
    /// how many it moved, at least one.
    /// </summary>
    private int FireDelays(Topic topic, int budget)
    {
        var moved = 0;
        while (moved < budget && topic.Delayed.Count > 0)
        {
            var slot = topic.Delayed.Peek();
            if (_table.ReadyAtMs(slot) > _nowMs)
            {
                break;
            }

            topic.Delayed.Remove(slot);
            _table.Slots[slot].State = JobState.Ready;
            Attach(slot);
            moved++;
        }

        ArmDelayTimer(topic);
        return Math.Max(moved, 1);
    }

    /// <summary>Schedules the topic's delay timer for its first delayed job, or cancels it when there is none.</summary>
    private void ArmDelayTimer(Topic topic)
    {
        if (topic.Delayed.Count == 0)
        {
            _wheel.Cancel(topic.DelayTimer);
        }
        else
        {
            _wheel.Schedule(topic.DelayTimer, _table.ReadyAtMs(topic.Delayed.Peek()));
        }
    }

    /// <summary>A reserved job's timer (numbered by its extra): first the deadline_soon notice, then the TTR's end.</summary>
    private void FireReservationTimer(int timer)
    {
        var slot = _table.Extras[timer].Slot;
        ref var job = ref _table.Slots[slot];
        if (job.State != JobState.Reserved)
        {
            return;
        }

        ref var extra = ref _table.Extra(slot);
        if (!extra.DeadlineSoonSent && _wheel.ExpirationOf(timer) < extra.DeadlineMs)
        {
            extra.DeadlineSoonSent = true;
            SendDeadlineSoon(slot);
            _wheel.Schedule(timer, extra.DeadlineMs);
            return;
        }

        // TTR ran out: back to ready; the holder's token is void from now on.
        extra = ref EndReservation(slot, JobState.Ready);
        extra.Timeouts++;
        _table.SetReadyAtMs(slot, _nowMs);
        Attach(slot);
        var topic = _topics[job.Topic];
        topic.TotalTimeouts++;
        _totalTimeouts++;
    }

    private void FireAuxTimer(int id)
    {
        switch (_auxOwners[~id])
        {
            case Topic topic:
                topic.Paused = false;
                topic.PausedUntilMs = 0;
                MarkDirty(topic);
                break;
            case OneShotWaiter waiter when waiter.Alive:
                FinishOneShot(waiter, null);
                break;
        }
    }

    /// <summary>A wheel timer outside the job slab, fired to <paramref name="owner"/> (set later when the owner needs the id to exist).</summary>
    private int AllocateTimer(object? owner)
    {
        var id = _wheel.AllocateAux();
        while (_auxOwners.Count <= ~id)
        {
            _auxOwners.Add(null);
        }

        _auxOwners[~id] = owner;
        return id;
    }

    // ------------------------------------------------------------------ structure membership

    /// <summary>Links a job into the structures its state calls for (heap, wheel, holder).</summary>
    private void Attach(int slot)
    {
        ref var job = ref _table.Slots[slot];
        var topic = _topics[job.Topic];
        switch (job.State)
        {
            case JobState.Ready:
                topic.Ready.Push(slot);
                MarkDirty(topic);
                break;
            case JobState.Delayed:
                topic.Delayed.Push(slot);
                if (topic.Delayed.Peek() == slot)
                {
                    _wheel.Schedule(topic.DelayTimer, _table.ReadyAtMs(slot));
                }

                break;
            case JobState.Buried:
                topic.Buried.Push(slot);
                break;
            case JobState.Reserved:
                ref var extra = ref _table.Extra(slot);
                _wheel.Schedule(job.Extra, extra.DeadlineSoonSent ? extra.DeadlineMs : extra.DeadlineMs - DeadlineSoonMarginMs);
                topic.Reserved++;
                if (extra.Holder is { } holder)
                {
                    holder.Held.Add(slot);
                    holder.Credits--;
                }

                break;
        }
    }

    /// <summary>Unlinks a job from every structure of its current state; the reverse of <see cref="Attach"/>.</summary>
    private void Detach(int slot)
    {
        ref var job = ref _table.Slots[slot];
        var topic = _topics[job.Topic];
        switch (job.State)
        {
            case JobState.Ready:
                topic.Ready.Remove(slot);
                break;
            case JobState.Delayed:
                var wasFirst = topic.Delayed.Peek() == slot;
                topic.Delayed.Remove(slot);
                if (wasFirst)
                {
                    ArmDelayTimer(topic);
                }

                break;
            case JobState.Buried:
                topic.Buried.Remove(slot);
                break;
            case JobState.Reserved:
                _wheel.Cancel(job.Extra);
                topic.Reserved--;
                if (_table.ExtraOrDefault(slot).Holder is { } holder)
                {
                    holder.Held.Remove(slot);
                    ReturnCredit(holder);
                }

                break;
        }
    }

    private void MarkDirty(Topic topic)
    {
        if (!topic.Dirty)
        {
            topic.Dirty = true;
            _dirty.Add(topic);
        }
    }

    // ------------------------------------------------------------------ undo log

    private void Touch(int slot)
    {
        if (_commitCanFail && _current.Touched.Add(slot))
        {
            _current.Undo.Add(new UndoEntry { Slot = slot, Before = _table.Slots[slot], BeforeExtra = _table.ExtraOrDefault(slot), BeforeReadyAtMs = _table.ReadyAtMs(slot) });
        }
    }

    private void Rollback(PendingBatch batch)
    {
        for (var i = batch.Undo.Count - 1; i >= 0; i--)
        {
            var entry = batch.Undo[i];
            var slot = entry.Slot;
            ref var job = ref _table.Slots[slot];
            if (!job.PendingFree)
            {
                Detach(slot);
                _table.IndexRemove(slot);
                var key = _table.ExtraOrDefault(slot).Key;
                if (key is not null && _topics[job.Topic].Keys.TryGetValue(key, out var owner) && owner == slot)
                {
                    _topics[job.Topic].Keys.Remove(key);
                }
            }

            if (entry.Created)
            {
                _table.Free(slot);
                continue;
            }

            if (entry.Before.Extra == None)
            {
                _table.DropExtra(slot);
            }
            else
            {
                _table.Extras[entry.Before.Extra] = entry.BeforeExtra;
            }

            job = entry.Before;
            job.HeapIndex = None;
            job.PendingFree = false;
            _table.SetReadyAtMs(slot, entry.BeforeReadyAtMs);
            _table.IndexAdd(slot);
            if (entry.BeforeExtra.Key is { } restoredKey)
            {
                _topics[job.Topic].Keys[restoredKey] = slot;
            }

            if (job.State == JobState.Reserved && _table.ExtraOrDefault(slot).Holder is { Closed: true })
            {
                // Its stream closed while the batch committed (a failed body read closes one without
                // waiting for commits): the job comes back ready, as CloseStream makes every job it held.
                ClearReservation(slot, JobState.Ready);
                _table.SetReadyAtMs(slot, _nowMs);
            }

            Attach(slot);
        }

        foreach (var topic in batch.PutTopics)
        {
            _topics[topic].TotalPuts--;
            _totalPuts--;
        }

        foreach (var topic in batch.DeleteTopics)
        {
            _topics[topic].TotalDeletes--;
            _totalDeletes--;
        }
    }

    /// <summary>
    /// Records the job's upsert. Only its put carries the body (<paramref name="withBody"/>): a body
    /// never changes after that, so later upserts leave the stored one as it is — which is also what
    /// lets a job whose body was dropped from memory be released, buried or kicked.
    /// </summary>
    private void Persist(int slot, bool withBody = false)
    {
        if (!_durable)
        {
            return;
        }

        ref var job = ref _table.Slots[slot];
        var extra = _table.ExtraOrDefault(slot);
        _current.Records.Mutations.Add(JobMutation.Upsert(new JobRecord
        {
            Id = job.Id,
            Topic = _topics[job.Topic].Name,
            Body = withBody ? _table.Body(slot) : ReadOnlyMemory<byte>.Empty,
            BodyUnchanged = !withBody,
            Priority = job.Priority,
            State = (StoredJobState)job.State,
            ReadyAtMs = _table.ReadyAtMs(slot),
            TtrMs = job.TtrMs,
            Key = extra.Key,
            CreatedAtMs = job.CreatedAtMs,
            BuriedAtMs = extra.BuriedAtMs,
            Reserves = extra.Reserves,
            Timeouts = extra.Timeouts,
            Releases = extra.Releases,
            Buries = extra.Buries,
            Kicks = extra.Kicks,
            Headers = extra.Headers,
        }));
    }

    // ------------------------------------------------------------------ batch commands

    private void ExecuteBatchCommand(EngineCommand command)
    {
        switch (command.Kind)
        {
            case CommandKind.Put:
                command.Status = Put(command.Spec, out command.Put);
                break;
            case CommandKind.PutBatch:
                command.Status = PutBatch(command.Specs!, out command.PutResults);
                break;
            case CommandKind.Delete:
                command.Status = Delete(command.Id, command.Reservation);
                break;
            case CommandKind.DeleteBatch:
                var targets = command.Targets!;
                var statuses = new EngineStatus[targets.Count];
                for (var i = 0; i < statuses.Length; i++)
                {
                    statuses[i] = Delete(targets[i].Id, targets[i].Reservation);
                }

                command.Statuses = statuses;
                break;
            case CommandKind.DeleteByKey:
                command.Status = DeleteByKey(command.TopicName!, command.Key!);
                break;
            case CommandKind.Release:
                command.Status = Release(command.Id, command.Reservation, command.Priority, command.DurationMs);
                break;
            case CommandKind.Bury:
                command.Status = Bury(command.Id, command.Reservation, command.Priority);
                break;
            case CommandKind.Kick:
                command.Kicked = Kick(command.TopicName!, command.Bound);
                break;
            case CommandKind.KickJob:
                command.Status = KickJob(command.Id);
                break;
        }
    }

    /// <summary>
    /// Puts one job. <paramref name="inBatch"/>: part of a PutBatch, which undoes its own puts when a
    /// later one fails, so each is logged even when the commit cannot fail (a lone put is not).
    /// </summary>
    private EngineStatus Put(in JobSpec spec, out PutResult result, bool inBatch = false)
    {
        result = default;
        var readyAt = _nowMs;
        if (spec.RunAt is { } runAt)
        {
            var at = runAt.ToUnixTimeMilliseconds();
            if (at - _nowMs > (long)_options.MaxDelay.TotalMilliseconds)
            {
                return EngineStatus.Invalid($"run_at must be at most {_options.MaxDelay} ahead");
            }

            readyAt = Math.Max(at, _nowMs);
        }
        else if (spec.Delay is { } delay)
        {
            readyAt = _nowMs + RequestRules.ToMs(delay);
        }

        var topic = TopicForJobs(spec.Topic);
        if (topic is null)
        {
            return EngineStatus.Exhausted($"topic {spec.Topic} cannot hold jobs: the server holds its maximum of {_options.MaxTopics} topics");
        }

        var key = string.IsNullOrEmpty(spec.Key) ? null : spec.Key;
        if (key is not null && topic.Keys.TryGetValue(key, out var existing))
        {
            result = new PutResult(_table.Slots[existing].Id, false);
            return EngineStatus.Ok;
        }

        if (_table.Count >= _options.MaxJobs)
        {
            return EngineStatus.Exhausted($"the server holds its maximum of {_options.MaxJobs} jobs");
        }

        var id = ++_lastId;
        var slot = _table.Allocate(id);
        if (_commitCanFail)
        {
            _current.Touched.Add(slot);
        }

        var logUndo = _commitCanFail || inBatch;
        if (logUndo)
        {
            _current.Undo.Add(new UndoEntry { Slot = slot, Created = true });
        }

        ref var job = ref _table.Slots[slot];
        job.Topic = topic.Index;
        job.Priority = spec.Priority;
        job.TtrMs = (int)RequestRules.TtrMs(spec.Ttr);
        job.CreatedAtMs = _nowMs;
        job.State = readyAt > _nowMs ? JobState.Delayed : JobState.Ready;
        _table.SetReadyAtMs(slot, readyAt);
        _table.SetBody(slot, spec.Body);
        if (key is not null || spec.Headers is { Count: > 0 })
        {
            ref var extra = ref _table.Extra(slot);
            extra.Key = key;
            extra.Headers = spec.Headers is { Count: > 0 } headers ? new Dictionary<string, string>(headers, StringComparer.Ordinal) : null;
            if (key is not null)
            {
                topic.Keys[key] = slot;
            }
        }

        Attach(slot);
        topic.TotalPuts++;
        _totalPuts++;
        if (logUndo)
        {
            _current.PutTopics.Add(topic.Index);
        }

        Persist(slot, withBody: true);
        _bodies.Track(slot, job.State);
        result = new PutResult(id, true);
        return EngineStatus.Ok;
    }

    private EngineStatus PutBatch(IReadOnlyList<JobSpec> specs, out PutResult[]? results)
    {
        results = null;
        if (_table.Count + specs.Count > _options.MaxJobs)
        {
            return EngineStatus.Exhausted($"the batch would exceed the server's maximum of {_options.MaxJobs} jobs");
        }

        var undoMark = _current.Undo.Count;
        var output = new PutResult[specs.Count];
        for (var i = 0; i < specs.Count; i++)
        {
            var status = Put(specs[i], out output[i], inBatch: true);
            if (!status.IsOk)
            {
                // All-or-nothing: validation ran before, so this is only a run_at bound; undo this command's puts.
                UndoPartialBatch(undoMark);
                return new EngineStatus(status.Code, $"jobs[{i}].{status.Message}");
            }
        }

        results = output;
        return EngineStatus.Ok;
    }

    private void UndoPartialBatch(int undoMark)
    {
        for (var i = _current.Undo.Count - 1; i >= undoMark; i--)
        {
            var slot = _current.Undo[i].Slot;
            ref var job = ref _table.Slots[slot];
            var topic = _topics[job.Topic];
            Detach(slot);
            _table.IndexRemove(slot);
            if (_table.ExtraOrDefault(slot).Key is { } key)
            {
                topic.Keys.Remove(key);
            }

            topic.TotalPuts--;
            _totalPuts--;
            _current.PutTopics.RemoveAt(_current.PutTopics.Count - 1);
            _current.Touched.Remove(slot);
            _table.Free(slot);
            if (_durable)
            {
                _current.Records.Mutations.RemoveAt(_current.Records.Mutations.Count - 1);
            }
        }

        _current.Undo.RemoveRange(undoMark, _current.Undo.Count - undoMark);
    }

    private EngineStatus FindJob(ulong id, out int slot)
    {
        slot = _table.Find(id);
        return slot == None ? EngineStatus.NotFound($"job {id} not found") : EngineStatus.Ok;
    }

    // Release, Bury and Touch act only for the current holder of a reserved job.
    private EngineStatus FindReserved(ulong id, ulong reservation, out int slot)
    {
        var status = FindJob(id, out slot);
        return status.IsOk ? CheckReservation(slot, reservation) : status;
    }

    // Every way a reservation ends (release, bury, TTR timeout, its stream closing) unlinks the job
    // and voids the holder's token the same way, and takes the job to its new state; the caller
    // then calls Attach.
    private ref JobExtra EndReservation(int slot, JobState newState)
    {
        Detach(slot);
        return ref ClearReservation(slot, newState);
    }

    // The holder and token go, the job takes its new state; for a job already unlinked.
    private ref JobExtra ClearReservation(int slot, JobState newState)
    {
        ref var extra = ref _table.Extra(slot);
        extra.Token = 0;
        extra.Holder = null;
        _table.Slots[slot].State = newState;
        return ref extra;
    }

    private EngineStatus CheckReservation(int slot, ulong reservation)
    {
        ref var job = ref _table.Slots[slot];
        if (job.State != JobState.Reserved)
        {
            return EngineStatus.Precondition($"job {job.Id} is not reserved");
        }

        if (reservation == 0 || _table.ExtraOrDefault(slot).Token != reservation)
        {
            return EngineStatus.Precondition($"reservation does not match the current reservation of job {job.Id}");
        }

        return EngineStatus.Ok;
    }

    private EngineStatus Delete(ulong id, ulong reservation)
    {
        var status = FindJob(id, out var slot);
        if (!status.IsOk)
        {
            return status;
        }

        if (_table.Slots[slot].State == JobState.Reserved || reservation != 0)
        {
            status = CheckReservation(slot, reservation);
            if (!status.IsOk)
            {
                return status;
            }
        }

        RemoveJob(slot);
        return EngineStatus.Ok;
    }

    private EngineStatus DeleteByKey(string topicName, string key)
    {
        if (!_topicsByName.TryGetValue(topicName, out var topic) || !topic.Keys.TryGetValue(key, out var slot))
        {
            return EngineStatus.NotFound($"no live job of topic {topicName} has key {key}");
        }

        if (_table.Slots[slot].State == JobState.Reserved)
        {
            return EngineStatus.Precondition($"job {_table.Slots[slot].Id} with key {key} is reserved");
        }

        RemoveJob(slot);
        return EngineStatus.Ok;
    }

    private void RemoveJob(int slot)
    {
        Touch(slot);
        ref var job = ref _table.Slots[slot];
        var topic = _topics[job.Topic];
        Detach(slot);
        _table.IndexRemove(slot);
        if (_table.ExtraOrDefault(slot).Key is { } key)
        {
            topic.Keys.Remove(key);
        }

        job.PendingFree = true;
        _current.PendingFree.Add(slot);
        topic.TotalDeletes++;
        _totalDeletes++;
        if (_commitCanFail)
        {
            _current.DeleteTopics.Add(topic.Index);
        }

        if (_durable)
        {
            _current.Records.Mutations.Add(JobMutation.Delete(job.Id));
        }
    }

    private EngineStatus Release(ulong id, ulong reservation, uint? priority, long delayMs)
    {
        var status = FindReserved(id, reservation, out var slot);
        if (!status.IsOk)
        {
            return status;
        }

        Touch(slot);
        ref var extra = ref EndReservation(slot, delayMs > 0 ? JobState.Delayed : JobState.Ready);
        ref var job = ref _table.Slots[slot];
        extra.Releases++;
        job.Priority = priority ?? job.Priority;
        _table.SetReadyAtMs(slot, _nowMs + delayMs);
        Attach(slot);
        Persist(slot);
        return EngineStatus.Ok;
    }

    private EngineStatus Bury(ulong id, ulong reservation, uint? priority)
    {
        var status = FindReserved(id, reservation, out var slot);
        if (!status.IsOk)
        {
            return status;
        }

        Touch(slot);
        ref var extra = ref EndReservation(slot, JobState.Buried);
        ref var job = ref _table.Slots[slot];
        extra.Buries++;
        extra.BuriedAtMs = _nowMs;
        extra.BurySeq = ++_burySeq;
        job.Priority = priority ?? job.Priority;
        Attach(slot);
        Persist(slot);
        return EngineStatus.Ok;
    }

    private uint Kick(string topicName, uint bound)
    {
        if (!_topicsByName.TryGetValue(topicName, out var topic))
        {
            return 0;
        }

        var heap = topic.Buried.Count > 0 ? topic.Buried : topic.Delayed;
        uint kicked = 0;
        while (kicked < bound && heap.Count > 0)
        {
            KickSlot(heap.Peek());
            kicked++;
        }

        return kicked;
    }

    private EngineStatus KickJob(ulong id)
    {
        var status = FindJob(id, out var slot);
        if (!status.IsOk)
        {
            return status;
        }

        var state = _table.Slots[slot].State;
        if (state is not (JobState.Buried or JobState.Delayed))
        {
            return EngineStatus.Precondition($"job {id} is {state.ToString().ToLowerInvariant()}, not buried or delayed");
        }

        KickSlot(slot);
        return EngineStatus.Ok;
    }

    private void KickSlot(int slot)
    {
        Touch(slot);
        Detach(slot);
        ref var job = ref _table.Slots[slot];
        _table.Extra(slot).Kicks++;
        job.State = JobState.Ready;
        _table.SetReadyAtMs(slot, _nowMs);
        Attach(slot);
        Persist(slot);
    }

    // ------------------------------------------------------------------ control commands

    private void ExecuteControlCommand(EngineCommand command)
    {
        switch (command.Kind)
        {
            case CommandKind.Tick:
                if (ReferenceEquals(command, _tick))
                {
                    Volatile.Write(ref _tickQueued, 0); // taken from the queue: it may be queued again
                }

                // The one-shot timer is spent once it fired. It may fire a hair before the wall-clock
                // millisecond it was armed for (timers run on the monotonic clock); forget it so
                // ArmTimer re-arms even when the next expiration is the same one.
                _armedForMs = long.MaxValue;
                return;
            case CommandKind.ReserveOne:
                RegisterOneShot(command);
                return;
            case CommandKind.CancelReserveOne:
                var target = command.Target!;
                if (target.Version == command.TargetVersion && target.Waiter.Alive)
                {
                    FinishOneShot(target.Waiter, null);
                }

                _answers.Add(command);
                return;
            case CommandKind.OpenStream:
                RegisterStream(command.Stream!, command.TopicNames!);
                _answers.Add(command);
                return;
            case CommandKind.CloseStream:
                CloseStream(command.Stream!);
                _answers.Add(command);
                return;
            case CommandKind.ReserveJob:
                command.Status = ReserveJob(command);
                break;
            case CommandKind.Touch:
                command.Status = TouchJob(command.Id, command.Reservation, out command.Deadline);
                break;
            case CommandKind.Peek:
                command.Status = FindJob(command.Id, out var slot);
                if (command.Status.IsOk)
                {
                    command.Info = Snapshot(slot);
                    RequestBodyIfDropped(slot, command, JobState.Ready);
                }

                break;
            case CommandKind.TopicOf:
                command.Status = FindJob(command.Id, out var found);
                command.TopicName = command.Status.IsOk ? _topics[_table.Slots[found].Topic].Name : null;
                break;
            case CommandKind.PeekNext:
                command.Status = PeekNext(command);
                break;
            case CommandKind.TopicStats:
                command.TopicStats = _topicsByName.TryGetValue(command.TopicName!, out var topic) ? Stats(topic) : new TopicStats { Name = command.TopicName! };
                break;
            case CommandKind.ListTopics:
                command.TopicList = _topics.Select(Stats).ToArray();
                break;
            case CommandKind.ServerStats:
                command.ServerStats = ServerStatsNow();
                break;
            case CommandKind.PauseTopic:
                PauseTopic(command.TopicName!, command.DurationMs);
                break;
        }

        _answers.Add(command);
    }

    private EngineStatus ReserveJob(EngineCommand command)
    {
        var id = command.Id;
        var status = FindJob(id, out var slot);
        if (!status.IsOk)
        {
            return status;
        }

        var state = _table.Slots[slot].State;
        if (state == JobState.Reserved)
        {
            return EngineStatus.Precondition($"job {id} is already reserved");
        }

        command.Reserved = ReserveSlot(slot, null);
        RequestBodyIfDropped(slot, command, state);
        return EngineStatus.Ok;
    }

    private EngineStatus TouchJob(ulong id, ulong reservation, out DateTimeOffset deadline)
    {
        deadline = default;
        var status = FindReserved(id, reservation, out var slot);
        if (!status.IsOk)
        {
            return status;
        }

        ref var job = ref _table.Slots[slot];
        ref var extra = ref _table.Extra(slot);
        extra.DeadlineMs = _nowMs + job.TtrMs;
        extra.DeadlineSoonSent = job.TtrMs <= DeadlineSoonMarginMs;
        _wheel.Schedule(job.Extra, extra.DeadlineSoonSent ? extra.DeadlineMs : extra.DeadlineMs - DeadlineSoonMarginMs);
        if (extra.DeadlineSoonSent)
        {
            SendDeadlineSoon(slot);
        }

        deadline = ToTime(extra.DeadlineMs);
        return EngineStatus.Ok;
    }

    private EngineStatus PeekNext(EngineCommand command)
    {
        var topicName = command.TopicName!;
        var state = command.State;
        var slot = None;
        if (_topicsByName.TryGetValue(topicName, out var topic))
        {
            slot = state switch
            {
                JobState.Ready => topic.Ready.Peek(),
                JobState.Delayed => topic.Delayed.Peek(),
                JobState.Buried => topic.Buried.Peek(),
                _ => None,
            };
        }

        if (slot == None)
        {
            return EngineStatus.NotFound($"no {state.ToString().ToLowerInvariant()} job in topic {topicName}");
        }

        command.Info = Snapshot(slot);
        RequestBodyIfDropped(slot, command, state);
        return EngineStatus.Ok;
    }

    private void PauseTopic(string topicName, long durationMs)
    {
        var topic = GetOrCreateTopic(topicName);
        if (durationMs <= 0)
        {
            _wheel.Cancel(topic.PauseTimer);
            topic.Paused = false;
            topic.PausedUntilMs = 0;
            MarkDirty(topic);
            return;
        }

        topic.Paused = true;
        topic.PausedUntilMs = _nowMs + durationMs;
        _wheel.Schedule(topic.PauseTimer, topic.PausedUntilMs);
    }

    private TopicStats Stats(Topic topic)
    {
        ulong waiting = 0;
        foreach (var waiter in _waiters)
        {
            if (waiter.Credits > 0 && waiter.Topics.Contains(topic))
            {
                waiting++;
            }
        }

        return new TopicStats
        {
            Name = topic.Name,
            Ready = (ulong)topic.Ready.Count,
            Delayed = (ulong)topic.Delayed.Count,
            Reserved = (ulong)topic.Reserved,
            Buried = (ulong)topic.Buried.Count,
            Waiting = waiting,
            TotalPuts = topic.TotalPuts,
            TotalDeletes = topic.TotalDeletes,
            TotalTimeouts = topic.TotalTimeouts,
            PauseRemaining = topic.Paused ? TimeSpan.FromMilliseconds(Math.Max(0, topic.PausedUntilMs - _nowMs)) : TimeSpan.Zero,
        };
    }

    private ServerStats ServerStatsNow()
    {
        ulong ready = 0, delayed = 0, reserved = 0, buried = 0;
        foreach (var topic in _topics)
        {
            ready += (ulong)topic.Ready.Count;
            delayed += (ulong)topic.Delayed.Count;
            reserved += (ulong)topic.Reserved;
            buried += (ulong)topic.Buried.Count;
        }

        return new ServerStats
        {
            Version = _version,
            Storage = _store.Kind,
            Uptime = TimeSpan.FromMilliseconds(_nowMs - _startMs),
            Ready = ready,
            Delayed = delayed,
            Reserved = reserved,
            Buried = buried,
            Topics = (ulong)_topics.Count,
            TotalPuts = _totalPuts,
            TotalDeletes = _totalDeletes,
            TotalTimeouts = _totalTimeouts,
        };
    }

    private JobInfo Snapshot(int slot)
    {
        ref var job = ref _table.Slots[slot];
        var extra = _table.ExtraOrDefault(slot);
        return new JobInfo
        {
            Id = job.Id,
            Topic = _topics[job.Topic].Name,
            Body = _table.Body(slot),
            Priority = job.Priority,
            State = job.State,
            ReadyAt = ToTime(_table.ReadyAtMs(slot)),
            Ttr = TimeSpan.FromMilliseconds(job.TtrMs),
            Key = extra.Key,
            CreatedAt = ToTime(job.CreatedAtMs),
            Reserves = extra.Reserves,
            Timeouts = extra.Timeouts,
            Releases = extra.Releases,
            Buries = extra.Buries,
            Kicks = extra.Kicks,
            Headers = extra.Headers,
            Deadline = job.State == JobState.Reserved ? ToTime(extra.DeadlineMs) : null,
        };
    }

    /// <summary>
    /// The topic a put goes into, created on first use; null past <see cref="EngineOptions.MaxTopics"/>
    /// (at most <see cref="JobSlot.MaxTopics"/>, because a job keeps its topic's index in 16 bits of
    /// its slot). Topics a reserve or a pause made past the cap still exist; they just cannot hold jobs.
    /// </summary>
    private Topic? TopicForJobs(string name)
    {
        if (FindTopic(name) is { } topic)
        {
            return topic.Index < _options.MaxTopics ? topic : null;
        }

        return _topics.Count < _options.MaxTopics ? GetOrCreateTopic(name) : null;
    }

    private Topic? FindTopic(string name)
    {
        // Consecutive commands mostly name the same topic: comparing with the last one found is
        // cheaper than hashing the name for the dictionary.
        if (_lastTopic is { } last && string.Equals(last.Name, name, StringComparison.Ordinal))
        {
            return last;
        }

        if (_topicsByName.TryGetValue(name, out var topic))
        {
            _lastTopic = topic;
        }

        return topic;
    }

    private Topic GetOrCreateTopic(string name)
    {
        if (FindTopic(name) is { } found)
        {
            return found;
        }

        var pauseTimer = AllocateTimer(null);
        var delayTimer = AllocateTimer(null);
        var topic = new Topic(name, _topics.Count, _table, pauseTimer, delayTimer);
        _auxOwners[~pauseTimer] = topic;
        _auxOwners[~delayTimer] = topic;
        _topics.Add(topic);
        _topicsByName.Add(name, topic);
        _lastTopic = topic;
        return topic;
    }

    // ------------------------------------------------------------------ reservations and waiters

    private ReservedJob ReserveSlot(int slot, StreamWaiter? holder)
    {
        Detach(slot);
        ref var job = ref _table.Slots[slot];
        var readyAt = _table.ReadyAtMs(slot);
        Telemetry.EngineMetrics.RecordLateness(_topics[job.Topic].Name, _nowMs - readyAt);
        ref var extra = ref _table.Extra(slot);
        extra.Reserves++;
        extra.Token = ++_lastToken;
        extra.DeadlineMs = _nowMs + job.TtrMs;
        extra.Holder = holder;
        extra.DeadlineSoonSent = job.TtrMs <= DeadlineSoonMarginMs;
        job.State = JobState.Reserved;
        Attach(slot);
        extra = ref _table.Extra(slot);
        return new ReservedJob(Snapshot(slot), extra.Token, ToTime(extra.DeadlineMs));
    }

    private void SendDeadlineSoon(int slot)
    {
        var extra = _table.ExtraOrDefault(slot);
        if (extra.Holder is { Closed: false } holder)
        {
            holder.Events.Writer.TryWrite(new ReservationEvent
            {
                Kind = ReservationEventKind.DeadlineSoon,
                DeadlineSoon = new DeadlineSoon(_table.Slots[slot].Id, extra.Token, ToTime(extra.DeadlineMs)),
            });
        }
    }

    private void ReturnCredit(StreamWaiter holder)
    {
        holder.Credits++;
        if (holder.Credits == 1 && holder.Alive)
        {
            Enqueue(holder);
        }
    }

    private void Enqueue(Waiter waiter)
    {
        waiter.Seq = ++_waiterSeq;
        foreach (var topic in waiter.Topics)
        {
            // Stale entries (waiters that moved on or left) are dropped when they pile up.
            if (topic.Waiters.Count > (2 * topic.Watchers) + 16)
            {
                Compact(topic);
            }

            topic.Waiters.Enqueue((waiter, waiter.Seq));
            MarkDirty(topic);
        }
    }

    private static bool IsLive((Waiter Waiter, long Seq) entry) =>
        entry.Waiter.Alive && entry.Waiter.Seq == entry.Seq && entry.Waiter.Credits > 0;

    private static void Compact(Topic topic)
    {
        var count = topic.Waiters.Count;
        for (var i = 0; i < count; i++)
        {
            var entry = topic.Waiters.Dequeue();
            if (IsLive(entry))
            {
                topic.Waiters.Enqueue(entry);
            }
        }
    }

    private void Watch(Waiter waiter, IReadOnlyList<string> topicNames)
    {
        waiter.Topics.Clear();

        // Indexed, not foreach: enumerating an IReadOnlyList allocates an enumerator (32 B for an
        // array) unless the JIT happens to devirtualize it, and this runs for every ReserveOne.
        for (var i = 0; i < topicNames.Count; i++)
        {
            var topic = GetOrCreateTopic(topicNames[i]);
            if (!waiter.Topics.Contains(topic))
            {
                waiter.Topics.Add(topic);
                topic.Watchers++;
            }
        }

        waiter.Alive = true;
        waiter.Index = _waiters.Count;
        _waiters.Add(waiter);
    }

    private void Unwatch(Waiter waiter)
    {
        waiter.Alive = false;
        var last = _waiters[^1];
        _waiters[waiter.Index] = last;
        last.Index = waiter.Index;
        _waiters.RemoveAt(_waiters.Count - 1);
        waiter.Index = -1;
        foreach (var topic in waiter.Topics)
        {
            topic.Watchers--;
        }
    }

    private void RegisterOneShot(EngineCommand command)
    {
        var waiter = command.Waiter;
        Watch(waiter, command.TopicNames!);
        waiter.Credits = 1;
        waiter.Poll = command.DurationMs <= 0;
        if (waiter.Poll)
        {
            _polls.Add(waiter);
        }
        else
        {
            if (waiter.TimeoutTimer == TimingWheel.Unlinked)
            {
                waiter.TimeoutTimer = AllocateTimer(waiter);
            }

            _wheel.Schedule(waiter.TimeoutTimer, _nowMs + command.DurationMs);
        }

        Enqueue(waiter);
    }

    private void FinishOneShot(OneShotWaiter waiter, ReservedJob? job)
    {
        Unwatch(waiter);
        waiter.Credits = 0;
        if (waiter.TimeoutTimer != TimingWheel.Unlinked)
        {
            _wheel.Cancel(waiter.TimeoutTimer);
        }

        var command = waiter.Command;
        command.Reserved = job;
        command.Status = EngineStatus.Ok;
        _answers.Add(command);
    }

    private void RegisterStream(StreamWaiter stream, IReadOnlyList<string> topicNames)
    {
        Watch(stream, topicNames);
        stream.Credits = stream.Prefetch;
        Enqueue(stream);
    }

    /// <summary>Ends a stream: its held jobs are ready again, and its events complete (with <paramref name="error"/> when given).</summary>
    private void CloseStream(StreamWaiter stream, Exception? error = null)
    {
        if (stream.Closed)
        {
            return;
        }

        stream.Closed = true;
        if (stream.Alive)
        {
            Unwatch(stream);
        }

        // Every job still held returns to ready at once.
        _scratch.Clear();
        _scratch.AddRange(stream.Held);
        foreach (var slot in _scratch)
        {
            EndReservation(slot, JobState.Ready);
            _table.SetReadyAtMs(slot, _nowMs);
            Attach(slot);
        }

        _scratch.Clear();
        stream.Events.Writer.TryComplete(error);
    }

    /// <summary>
    /// Matches ready jobs to waiters until no dirty topic has both: the longest-waiting waiter among
    /// the dirty topics' queue heads gets the most urgent ready job across all its unpaused topics.
    /// </summary>
    private void Dispatch(bool beforeCommit = false)
    {
        while (true)
        {
            Waiter? best = null;
            for (var i = _dirty.Count - 1; i >= 0; i--)
            {
                var topic = _dirty[i];
                while (topic.Waiters.Count > 0 && !IsLive(topic.Waiters.Peek()))
                {
                    topic.Waiters.Dequeue();
                }

                if (topic.Paused || topic.Ready.Count == 0 || topic.Waiters.Count == 0)
                {
                    topic.Dirty = false;
                    _dirty[i] = _dirty[^1];
                    _dirty.RemoveAt(_dirty.Count - 1);
                    continue;
                }

                var head = topic.Waiters.Peek().Waiter;
                if (best is null || head.Seq < best.Seq)
                {
                    best = head;
                }
            }

            if (best is null)
            {
                break;
            }

            var slot = MostUrgentReady(best);
            if (beforeCommit ? !CanDeliverBeforeCommit(best, slot) : IsUncommitted(slot))
            {
                // The dispatch after the commit (the one that finishes the job's batch, with
                // overlapping commits) serves this waiter and every later one, in order.
                return;
            }

            switch (best)
            {
                case StreamWaiter stream:
                    var reserved = ReserveSlot(slot, stream);
                    if (stream.PendingDeliveries > 0 || _table.IsBodyDropped(slot))
                    {
                        // Written after the turn's body read; a job whose body is in memory waits
                        // behind one being read so the stream keeps the delivery order.
                        stream.PendingDeliveries++;
                        _bodyRequests.Add(new BodyRequest { Slot = slot, Stream = stream, Reserved = reserved, PreviousState = JobState.Ready });
                    }
                    else
                    {
                        WriteDelivery(stream, slot, reserved);
                    }

                    if (stream.Credits > 0)
                    {
                        Enqueue(stream); // to the back: streams with free slots take turns
                    }

                    break;
                case OneShotWaiter one:
                    FinishOneShot(one, ReserveSlot(slot, null));
                    RequestBodyIfDropped(slot, one.Command, JobState.Ready);
                    break;
            }
        }

        foreach (var poll in _polls)
        {
            if (poll.Alive)
            {
                FinishOneShot(poll, null);
            }
        }

        _polls.Clear();
    }

    /// <summary>
    /// Before the commit a job goes out only if the batch did not touch it (so it is durable
    /// already: put, released or kicked in this batch it is not) and only straight into a stream:
    /// a ReserveOne answer, or a delivery queued behind a body read, would reach its caller only
    /// after the commit, with the job's TTR running from before it.
    /// </summary>
    private bool CanDeliverBeforeCommit(Waiter waiter, int slot) =>
        waiter is StreamWaiter { PendingDeliveries: 0 } && !IsUncommitted(slot) && !_table.IsBodyDropped(slot);

    private void WriteDelivery(StreamWaiter stream, int slot, in ReservedJob reserved)
    {
        stream.Events.Writer.TryWrite(new ReservationEvent { Kind = ReservationEventKind.Job, Job = reserved });
        if (_table.ExtraOrDefault(slot).DeadlineSoonSent)
        {
            SendDeadlineSoon(slot);
        }
    }

    // ------------------------------------------------------------------ bodies on demand

    /// <summary>
    /// Queues the command's answer (a peek's <see cref="EngineCommand.Info"/> or a reservation's
    /// <see cref="EngineCommand.Reserved"/>) for the turn's body read when the job's body was dropped.
    /// <paramref name="previousState"/> is where a reservation goes back to if the read fails.
    /// </summary>
    private void RequestBodyIfDropped(int slot, EngineCommand command, JobState previousState)
    {
        if (_table.IsBodyDropped(slot))
        {
            command.AwaitsBody = true;
            _bodyRequests.Add(new BodyRequest { Slot = slot, Command = command, PreviousState = previousState });
        }
    }

    /// <summary>
    /// Reads the dropped bodies of every job handed out this turn in one store round trip and
    /// completes the answers. Blocking the turn on it is what a commit does too; the turn's other
    /// answers go out before it (FlushAnswersNotAwaitingBodies). When the read fails, nothing
    /// is half-delivered: peeks and reservations answer UNAVAILABLE with their reservations undone,
    /// and a stream that was to get such a job ends with <see cref="StorageUnavailableException"/>
    /// (its held jobs ready again).
    /// </summary>
    private void ReadBackBodies()
    {
        if (_bodyRequests.Count == 0)
        {
            return;
        }

        // A body read is a store round trip: the answers that carry no read-back body (the batch's
        // puts and deletes above all) need not wait for it.
        FlushAnswersNotAwaitingBodies();
        _bodyIds.Clear();
        _bodyIndex.Clear();
        foreach (var request in _bodyRequests)
        {
            // One id once, even when a turn peeks and reserves the same job.
            var id = _table.Slots[request.Slot].Id;
            if (_table.IsBodyDropped(request.Slot) && _bodyIndex.TryAdd(id, _bodyIds.Count))
            {
                _bodyIds.Add(id);
            }
        }

        Exception? failure = null;
        if (_bodyIds.Count > 0)
        {
            try
            {
                var read = _store.ReadBodiesAsync(_bodyIds, CancellationToken.None);
                var bodies = read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();
                Telemetry.EngineMetrics.RecordBodyRead(_bodyIds.Count);
                foreach (var request in _bodyRequests)
                {
                    var slot = request.Slot;
                    if (_table.IsBodyDropped(slot))
                    {
                        _table.SetBody(slot, bodies[_bodyIndex[_table.Slots[slot].Id]]);
                        _bodies.Track(slot, _table.Slots[slot].State);
                    }
                }
            }
#pragma warning disable CA1031 // Any read failure means the bodies are not here: undo and answer UNAVAILABLE.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        }

        if (failure is null)
        {
            AnswerBodyRequests();
        }
        else
        {
            FailBodyRequests(failure);
        }

        _bodyRequests.Clear();
    }

    private void AnswerBodyRequests()
    {
        foreach (var request in _bodyRequests)
        {
            var body = _table.Body(request.Slot);
            if (request.Stream is { } stream)
            {
                stream.PendingDeliveries--;
                WriteDelivery(stream, request.Slot, request.Reserved with { Job = request.Reserved.Job with { Body = body } });
                continue;
            }

            var command = request.Command!;
            if (command.Kind is CommandKind.Peek or CommandKind.PeekNext)
            {
                command.Info = command.Info with { Body = body };
            }
            else if (command.Reserved is { } reserved)
            {
                command.Reserved = reserved with { Job = reserved.Job with { Body = body } };
            }
        }
    }

    private void FailBodyRequests(Exception failure)
    {
        const string Message = "storage is unavailable; the job's body could not be read";
        var unavailable = EngineStatus.Unavailable(Message);
        var undone = false;
        foreach (var request in _bodyRequests)
        {
            var slot = request.Slot;
            if (request.Stream is { } stream)
            {
                // Never delivered, so never reserved: the count goes back, and closing the stream
                // returns the job (with every other job it holds) to READY.
                _table.Extra(slot).Reserves--;
                stream.PendingDeliveries--;
                if (!stream.Closed)
                {
                    CloseStream(stream, new StorageUnavailableException(Message, failure));
                }

                undone = true;
                continue;
            }

            var command = request.Command!;
            command.Status = unavailable;
            if (command.Kind is CommandKind.Peek or CommandKind.PeekNext)
            {
                command.Info = default;
            }
            else if (command.Reserved is not null)
            {
                command.Reserved = null;
                EndReservation(slot, request.PreviousState).Reserves--;
                Attach(slot);
                undone = true;
            }
        }

        if (undone)
        {
            // The jobs are back in their heaps: another turn offers them to the remaining waiters.
            PostTick();
        }
    }

    private int MostUrgentReady(Waiter waiter)
    {
        var best = None;
        var slots = _table.Slots;
        foreach (var topic in waiter.Topics)
        {
            if (topic.Paused)
            {
                continue;
            }

            var candidate = topic.Ready.Peek();
            if (candidate == None)
            {
                continue;
            }

            if (best == None || slots[candidate].Priority < slots[best].Priority
                || (slots[candidate].Priority == slots[best].Priority && slots[candidate].Id < slots[best].Id))
            {
                best = candidate;
            }
        }

        return best;
    }
}
