namespace Chronoq.Core;

/// <summary>
/// A job to put (chronoq.v1.PutRequest). The engine keeps <see cref="Body"/> and
/// <see cref="Headers"/> by reference: do not change them after the call.
/// </summary>
public readonly record struct JobSpec
{
    /// <summary>1–200 characters of letters, digits and <c>-_.:/</c>.</summary>
    public required string Topic { get; init; }

    /// <summary>The opaque payload.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Lower is more urgent.</summary>
    public uint Priority { get; init; }

    /// <summary>Ready after this delay; null or zero = ready now; negative is invalid. Exclusive with <see cref="RunAt"/>.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Ready at this time; in the past = ready now. Exclusive with <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Time-to-run; null = 60 s; below 1 s (0 included) = 1 s; negative is invalid.</summary>
    public TimeSpan? Ttr { get; init; }

    /// <summary>Business key unique per topic among live jobs; null or empty = none.</summary>
    public string? Key { get; init; }

    /// <summary>Headers; null or empty = none.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
