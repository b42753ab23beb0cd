namespace Chronoq.Sdk.Internal;

/// <summary>One caller's request waiting in a <see cref="CallCoalescer{TRequest, TResult}"/>, with the completion it awaits.</summary>
internal readonly record struct PendingCall<TRequest, TResult>(TRequest Request, TaskCompletionSource<TResult> Completion)
{
    public bool IsAbandoned => Completion.Task.IsCompleted;
}
