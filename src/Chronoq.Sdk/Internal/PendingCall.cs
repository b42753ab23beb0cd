namespace Chronoq.Sdk.Internal;

/// <summary>
/// One caller's request waiting in a <see cref="CallCoalescer{TRequest, TResult}"/>; it is itself
/// the completion the caller awaits, so a queued call costs one object besides its task.
/// Continuations run asynchronously: a caller's code never runs on the thread sending a batch.
/// </summary>
internal sealed class PendingCall<TRequest, TResult> : TaskCompletionSource<TResult>
{
    private CancellationTokenRegistration _cancellation;

    public PendingCall(TRequest request)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Request = request;
    }

    public TRequest Request { get; }

    /// <summary>Cancelled by its caller, or otherwise already answered: not to be sent.</summary>
    public bool IsAbandoned => Task.IsCompleted;

    /// <summary>Gives the caller its result; false when it had already given up.</summary>
    public bool Complete(TResult result)
    {
        var completed = TrySetResult(result);
        _cancellation.Unregister();
        return completed;
    }

    /// <summary>Gives the caller its error; false when it had already given up.</summary>
    public bool Fail(Exception exception)
    {
        var failed = TrySetException(exception);
        _cancellation.Unregister();
        return failed;
    }

    /// <summary>Cancelling <paramref name="cancellationToken"/> abandons the call. Called before the call is queued, so the sender always sees the registration.</summary>
    public void CancelWith(CancellationToken cancellationToken) =>
        _cancellation = cancellationToken.UnsafeRegister(
            static (state, token) => ((PendingCall<TRequest, TResult>)state!).TrySetCanceled(token),
            this);
}
