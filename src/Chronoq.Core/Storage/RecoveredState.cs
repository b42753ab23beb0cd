namespace Chronoq.Core.Storage;

/// <summary>What a store reads back at start-up.</summary>
/// <param name="Jobs">Every live job.</param>
/// <param name="IdHighWater">The highest id ever assigned; new ids start above it.</param>
public sealed record RecoveredState(IReadOnlyList<JobRecord> Jobs, ulong IdHighWater)
{
    /// <summary>Nothing stored.</summary>
    public static RecoveredState Empty { get; } = new(Array.Empty<JobRecord>(), 0);
}
