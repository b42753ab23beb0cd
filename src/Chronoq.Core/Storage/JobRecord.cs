namespace Chronoq.Core.Storage;

/// <summary>
/// A job as the store sees it: every field that survives a restart. Times are Unix milliseconds
/// (the engine's wheel resolution); <see cref="Body"/> may be empty in an upsert that changes only
/// metadata when <see cref="BodyUnchanged"/> is set, so the store need not rewrite it.
/// </summary>
public sealed record JobRecord
{
    public ulong Id { get; init; }
    public string Topic { get; init; } = "";
    public ReadOnlyMemory<byte> Body { get; init; }
    /// <summary>
    /// True when the stored body is already current and <see cref="Body"/> is not meant to replace it.
    /// In a recovered record: the store left the body out (past the body budget), and the engine
    /// reads it back with <see cref="IJobStore.ReadBodiesAsync"/> when the job is delivered or peeked.
    /// </summary>
    public bool BodyUnchanged { get; init; }
    public uint Priority { get; init; }
    public StoredJobState State { get; init; }
    public long ReadyAtMs { get; init; }
    public long TtrMs { get; init; }
    /// <summary>Business key, or null.</summary>
    public string? Key { get; init; }
    public long CreatedAtMs { get; init; }
    /// <summary>When the job was last buried (orders Kick, oldest buried first); 0 if never.</summary>
    public long BuriedAtMs { get; init; }
    public uint Reserves { get; init; }
    public uint Timeouts { get; init; }
    public uint Releases { get; init; }
    public uint Buries { get; init; }
    public uint Kicks { get; init; }
    /// <summary>Headers, or null when there are none.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
