namespace Chronoq.Core;

/// <summary>The outcome of an operation: <see cref="ErrorCode.Ok"/> or an error with a message naming the field or job.</summary>
/// <param name="Code">The outcome.</param>
/// <param name="Message">Why it failed; null on success.</param>
public readonly record struct EngineStatus(ErrorCode Code, string? Message)
{
    /// <summary>Success.</summary>
    public static EngineStatus Ok => default;

    /// <summary>True on success.</summary>
    public bool IsOk => Code == ErrorCode.Ok;

    internal static EngineStatus Invalid(string message) => new(ErrorCode.InvalidArgument, message);

    internal static EngineStatus NotFound(string message) => new(ErrorCode.NotFound, message);

    internal static EngineStatus Precondition(string message) => new(ErrorCode.FailedPrecondition, message);

    internal static EngineStatus Exhausted(string message) => new(ErrorCode.ResourceExhausted, message);

    internal static EngineStatus Unavailable(string message) => new(ErrorCode.Unavailable, message);
}
