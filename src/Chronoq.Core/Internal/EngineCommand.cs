using System.Threading.Tasks.Sources;

namespace Chronoq.Core.Internal;

/// <summary>
/// A request to the engine loop and its answer. Pooled: a caller rents one, fills the inputs,
/// posts it, awaits it as a <see cref="ValueTask"/> (no allocation), reads the outputs and returns
/// it. Fields form a loose union; each kind uses the few it needs.
/// </summary>
internal sealed class EngineCommand :
    IValueTaskSource,
    IValueTaskSource<EngineResult<PutResult>>,
    IValueTaskSource<EngineResult<ReservedJob?>>,
    IValueTaskSource<EngineStatus>
{
    private readonly bool _runContinuationsAsynchronously;
    private ManualResetValueTaskSourceCore<bool> _core;

    public EngineCommand(bool runContinuationsAsynchronously, EngineCore? owner = null)
    {
        _runContinuationsAsynchronously = runContinuationsAsynchronously;
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        Waiter = new OneShotWaiter(this);
        Owner = owner;
    }

    /// <summary>The pool the command returns to when a typed awaiter has read its result.</summary>
    public EngineCore? Owner { get; }

    public CommandKind Kind;

    // Inputs.
    public JobSpec Spec;
    public IReadOnlyList<JobSpec>? Specs;
    public IReadOnlyList<DeleteTarget>? Targets;
    public IReadOnlyList<string>? TopicNames;
    public ulong Id;
    public ulong Reservation;
    public uint? Priority;
    public long DurationMs;
    public string? TopicName;
    public string? Key;
    public JobState State;
    public uint Bound;
    public StreamWaiter? Stream;
    public EngineCommand? Target;
    public short TargetVersion;

    /// <summary>The link to the next command while in the engine's <see cref="CommandQueue"/>.</summary>
    public EngineCommand? Next;

    /// <summary>Counted in the engine's queue bound (<see cref="EngineOptions.MaxQueuedCommands"/>) until the loop takes it.</summary>
    public bool Admitted;

    /// <summary>Its answer carries a job whose body the turn reads back from the store: it goes out after that read.</summary>
    public bool AwaitsBody;

    // Outputs.
    public EngineStatus Status;
    public PutResult Put;
    public PutResult[]? PutResults;
    public EngineStatus[]? Statuses;
    public ReservedJob? Reserved;
    public JobInfo Info;
    public DateTimeOffset Deadline;
    public uint Kicked;
    public TopicStats? TopicStats;
    public TopicStats[]? TopicList;
    public ServerStats? ServerStats;

    /// <summary>The pooled waiter a ReserveOne uses.</summary>
    public OneShotWaiter Waiter { get; }

    /// <summary>Cancellation of a ReserveOne.</summary>
    public CancellationTokenRegistration Registration;

    public short Version => _core.Version;

    public bool IsBatchCommand => Kind < CommandKind.Tick;

    public ValueTask AsValueTask() => new(this, _core.Version);

    /// <summary>Answers the caller. The command must not be touched afterwards: the caller may reuse it at once.</summary>
    public void Complete() => _core.SetResult(true);

    /// <summary>Answers with the caller's continuation run on this thread (a pool thread delivering an <see cref="AnswerBatch"/>).</summary>
    public void CompleteInline()
    {
        _core.RunContinuationsAsynchronously = false;
        _core.SetResult(true);
    }

    public void Complete(EngineStatus status)
    {
        Status = status;
        _core.SetResult(true);
    }

    /// <summary>
    /// Clears inputs and outputs for the next renter. The hot kinds (put, reserve-one, delete) clear
    /// only the fields they use, which are listed here; every other kind clears them all.
    /// </summary>
    public void Reset()
    {
        _core.Reset();
        _core.RunContinuationsAsynchronously = _runContinuationsAsynchronously;
        AwaitsBody = false;
        switch (Kind)
        {
            case CommandKind.Put:
                Spec = default;
                Put = default;
                break;
            case CommandKind.ReserveOne:
                TopicNames = null;
                DurationMs = 0;
                Reserved = null;
                Registration = default;
                break;
            case CommandKind.Delete:
                Id = 0;
                Reservation = 0;
                break;
            default:
                ClearAll();
                break;
        }

        Kind = CommandKind.None;
        Status = default;
    }

    private void ClearAll()
    {
        Spec = default;
        Specs = null;
        Targets = null;
        TopicNames = null;
        Id = 0;
        Reservation = 0;
        Priority = null;
        DurationMs = 0;
        TopicName = null;
        Key = null;
        State = JobState.None;
        Bound = 0;
        Stream = null;
        Target = null;
        TargetVersion = 0;
        Put = default;
        PutResults = null;
        Statuses = null;
        Reserved = null;
        Info = default;
        Deadline = default;
        Kicked = 0;
        TopicStats = null;
        TopicList = null;
        ServerStats = null;
        Registration = default;
    }

    /// <summary>
    /// The hot operations (put, reserve-one, delete) hand the command itself out as the typed
    /// <see cref="ValueTask{TResult}"/> source: no async state machine per call. Reading the result
    /// returns the command to the pool, which the ValueTask contract allows exactly once.
    /// </summary>
    public ValueTask<EngineResult<PutResult>> AsPutTask() => new(this, _core.Version);

    public ValueTask<EngineResult<ReservedJob?>> AsReserveTask() => new(this, _core.Version);

    public ValueTask<EngineStatus> AsStatusTask() => new(this, _core.Version);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    EngineResult<PutResult> IValueTaskSource<EngineResult<PutResult>>.GetResult(short token)
    {
        _core.GetResult(token);
        var result = Status.IsOk ? new EngineResult<PutResult>(Put) : new EngineResult<PutResult>(Status);
        Owner!.Return(this);
        return result;
    }

    EngineResult<ReservedJob?> IValueTaskSource<EngineResult<ReservedJob?>>.GetResult(short token)
    {
        _core.GetResult(token);
        Registration.Dispose();
        var result = Status.IsOk ? new EngineResult<ReservedJob?>(Reserved) : new EngineResult<ReservedJob?>(Status);
        Owner!.Return(this);
        return result;
    }

    EngineStatus IValueTaskSource<EngineStatus>.GetResult(short token)
    {
        _core.GetResult(token);
        var status = Status;
        Owner!.Return(this);
        return status;
    }

    ValueTaskSourceStatus IValueTaskSource<EngineResult<PutResult>>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource<EngineResult<ReservedJob?>>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource<EngineStatus>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<EngineResult<PutResult>>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<EngineResult<ReservedJob?>>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<EngineStatus>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
