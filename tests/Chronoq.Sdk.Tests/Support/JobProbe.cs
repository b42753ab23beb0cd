using System.Collections.Concurrent;
using System.Diagnostics;

namespace Chronoq.Sdk.Tests.Support;

/// <summary>What a test's handler does, and what it saw: shared by every <see cref="ProbeHandler"/> of a worker.</summary>
public sealed class JobProbe
{
    private int _invocations;

    public Func<ReservedJob<OrderPlaced>, int, CancellationToken, Task> Behaviour { get; set; } = static (_, _, _) => Task.CompletedTask;

    public int Invocations => Volatile.Read(ref _invocations);

    public ConcurrentQueue<(ulong JobId, int Attempt, TimeSpan At, ActivityTraceId? TraceId)> Seen { get; } = new();

    public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    internal Task InvokeAsync(ReservedJob<OrderPlaced> job, CancellationToken cancellationToken)
    {
        var invocation = Interlocked.Increment(ref _invocations);
        Seen.Enqueue((job.Id, job.Attempt, _clock.Elapsed, Activity.Current?.TraceId));
        FirstStarted.TrySetResult();
        return Behaviour(job, invocation, cancellationToken);
    }
}
