namespace Chronoq.Core;

/// <summary>A value on success, or the <see cref="EngineStatus"/> saying why there is none.</summary>
/// <typeparam name="T">The value type.</typeparam>
public readonly struct EngineResult<T>
{
    private readonly T _value;

    /// <summary>A successful result.</summary>
    public EngineResult(T value)
    {
        _value = value;
        Status = EngineStatus.Ok;
    }

    /// <summary>A failed result.</summary>
    public EngineResult(EngineStatus status)
    {
        _value = default!;
        Status = status;
    }

    /// <summary>Ok, or the error.</summary>
    public EngineStatus Status { get; }

    /// <summary>True on success.</summary>
    public bool IsOk => Status.IsOk;

    /// <summary>The value; throws when the result is an error (check <see cref="IsOk"/> first).</summary>
    public T Value => IsOk ? _value : throw new InvalidOperationException($"The result is an error: {Status.Code}: {Status.Message}");

    /// <inheritdoc/>
    public override string ToString() => IsOk ? $"Ok({_value})" : $"{Status.Code}: {Status.Message}";
}
