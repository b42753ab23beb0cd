using Chronoq.Storage.Postgres;

namespace Chronoq.Service.Storage;

/// <summary>
/// Where the server keeps its jobs. The connection string comes from <c>ConnectionStrings:Chronoq</c>
/// (environment: <c>ConnectionStrings__Chronoq</c>): set, the jobs live in PostgreSQL; unset, in
/// memory only, which is not durable and logs a warning at start-up. The other settings bind from
/// the section <c>Chronoq:Storage</c> and are validated at start-up.
/// </summary>
public sealed class ChronoqStorageOptions
{
    /// <summary>The configuration section the settings bind from.</summary>
    public const string SectionName = "Chronoq:Storage";

    /// <summary>The name under <c>ConnectionStrings</c> that selects PostgreSQL storage.</summary>
    public const string ConnectionStringName = "Chronoq";

    /// <summary>The setting's full configuration key, for messages.</summary>
    public const string ConnectionStringSetting = "ConnectionStrings:" + ConnectionStringName;

    /// <summary>The Npgsql connection string, from <see cref="ConnectionStringSetting"/>; null or empty = memory storage.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The PostgreSQL schema holding the store's tables, created if missing. Default <c>chronoq</c>.</summary>
    public string Schema { get; set; } = "chronoq";

    /// <summary>
    /// The longest a commit may take, retries included, before the callers in it get UNAVAILABLE.
    /// Default 5 s (0 &lt; value ≤ 10 min).
    /// </summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// From how many new jobs in one commit they are written to PostgreSQL with a binary COPY
    /// instead of INSERT ... ON CONFLICT (see <c>PostgresStoreOptions.CopyThreshold</c>). Default 256
    /// (value ≥ 1).
    /// </summary>
    public int CopyThreshold { get; set; } = PostgresStoreOptions.Default.CopyThreshold;

    /// <summary>
    /// How many commits to PostgreSQL may run at once, each on its own connection: while one is in
    /// flight the engine builds and starts the next (see <c>PostgresStoreOptions.CommitsInFlight</c>).
    /// Default 1, one batch at a time (1 to 16); 2 to 4 pay where commits mostly wait (a remote
    /// server, a networked disk).
    /// </summary>
    public int CommitsInFlight { get; set; } = PostgresStoreOptions.Default.CommitsInFlight;

    /// <summary>
    /// Bytes of job bodies kept in memory with PostgreSQL storage. Past it, the bodies of committed
    /// jobs are dropped from memory (their metadata stays) and read back from PostgreSQL, in one
    /// batched query per engine turn, when their jobs are delivered or peeked; recovery loads bodies
    /// only up to it. Bodies of delayed and buried jobs go first, then the newest (the last the ready
    /// order reaches). A failed read answers UNAVAILABLE and leaves the job READY. 0 keeps every body
    /// (no limit); memory storage always keeps every body. Default 256 MiB (≥ 0).
    /// </summary>
    public long BodyCacheBytes { get; set; } = PostgresStoreOptions.Default.BodyCacheBytes;

    /// <summary>
    /// How long start-up keeps retrying (with backoff) when PostgreSQL cannot be reached, before the
    /// server gives up with an error naming <see cref="ConnectionStringSetting"/>. Default 30 s,
    /// enough for a database container started alongside the server (0 &lt; value ≤ 1 h).
    /// </summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when PostgreSQL storage is configured.</summary>
    public bool IsDurable => !string.IsNullOrWhiteSpace(ConnectionString);
}
