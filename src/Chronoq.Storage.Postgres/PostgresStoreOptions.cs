using System.Text.RegularExpressions;
using Npgsql;

namespace Chronoq.Storage.Postgres;

/// <summary>Settings of the PostgreSQL job store. Immutable; check with <see cref="Validate"/>.</summary>
public sealed partial record PostgresStoreOptions
{
    /// <summary>The defaults: no connection string (it must be set), schema "chronoq", 5 s commit timeout, 1 commit in flight.</summary>
    public static PostgresStoreOptions Default { get; } = new();

    /// <summary>Npgsql connection string of the database that holds the store. Required; no default.</summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>The schema when none is set.</summary>
    public const string DefaultSchema = "chronoq";

    /// <summary>PostgreSQL keeps an application name to this many bytes (NAMEDATALEN - 1).</summary>
    private const int MaxApplicationNameBytes = 63;

    /// <summary>
    /// Schema holding the store's tables, created at start-up if missing. Default "chronoq".
    /// Letters, digits and underscores, starting with a letter or underscore, at most 63 characters
    /// (PostgreSQL's identifier limit), so it never needs quoting games. One server per schema;
    /// servers of several schemas may share a database (each runs under its own application name,
    /// "chronoq:SCHEMA" unless the connection string sets one, so give each its own there too; past
    /// 55 characters only a name set there fits PostgreSQL's 63 bytes).
    /// </summary>
    public string Schema { get; init; } = DefaultSchema;

    /// <summary>
    /// The longest a commit (or a body read) may take, retries included, before it fails with
    /// StorageUnavailableException. Default 5 s: long enough to ride out a pooled connection that
    /// died with a restarted server, short enough that callers get UNAVAILABLE while they still care.
    /// </summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest <see cref="PostgresJobStore.CreateAsync"/> keeps trying to reach the server and
    /// migrate the schema. Default 30 s: a server started alongside (docker-compose) may need that
    /// long to accept connections, and another instance may be migrating at the same moment.
    /// </summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// From how many new jobs in one commit they are written with a binary COPY (in an explicit
    /// transaction, four round trips) instead of INSERT ... ON CONFLICT in the commit's single
    /// round trip. COPY costs PostgreSQL about a third less per row (docs/benchmarks.md,
    /// "PostgreSQL store"), which pays for the extra round trips only in large commits: measured
    /// slower at 100 jobs a commit, faster at 1,000. A retried commit always uses the upsert, which
    /// is idempotent when the first attempt's outcome is unknown. Default 256; at least 1.
    /// </summary>
    public int CopyThreshold { get; init; } = 256;

    /// <summary>The most commits <see cref="CommitsInFlight"/> allows: each holds a pooled
    /// connection and a set of column buffers, and past a few the commits only queue on the
    /// high-water row and the WAL instead of in the engine.</summary>
    internal const int MaxCommitsInFlight = 16;

    /// <summary>
    /// How many commits may run at once (<see cref="PostgresJobStore.MaxCommitsInFlight"/>): while
    /// one batch's commit is on its way to and from PostgreSQL, the engine may apply the next
    /// batch and start its commit, each on its own connection. 1 to 16. Default 1, one batch at a
    /// time: where a commit costs mostly CPU (PostgreSQL on the same small machine, a local disk
    /// flushing in ~0.1 ms) overlapping makes more, smaller commits and measured 10-20 % slower for
    /// one call in flight per client. Where a commit mostly waits (a remote server, a networked
    /// disk) 4 measured 1.3-2.2 times the throughput (docs/benchmarks.md, "Session 8").
    /// </summary>
    public int CommitsInFlight { get; init; } = 1;

    /// <summary>
    /// The engine's body budget (bytes of bodies kept in memory; the rest are read back with
    /// ReadBodiesAsync). The store uses it in recovery: bodies are loaded only until this many bytes,
    /// the rest come back with <c>BodyUnchanged</c> set and an empty body. 0 loads every body.
    /// Default 256 MiB.
    /// </summary>
    public long BodyCacheBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is not usable.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException($"{nameof(PostgresStoreOptions)}.{nameof(ConnectionString)} must be set.", nameof(ConnectionString));
        }

        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{nameof(PostgresStoreOptions)}.{nameof(ConnectionString)} is not a valid Npgsql connection string: {ex.Message}", nameof(ConnectionString), ex);
        }

        if (parsed.Multiplexing)
        {
            // A commit, an abandoned commit's clean-up and the start-up fence each name a PostgreSQL
            // session by its process id, which multiplexing does not tie to a connection.
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(ConnectionString)} sets Multiplexing=true; the store needs each connection bound to one PostgreSQL session.",
                nameof(ConnectionString));
        }

        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(Schema)} '{Schema}' must be 1-63 letters, digits or underscores, starting with a letter or underscore.",
                nameof(Schema));
        }

        if (string.IsNullOrEmpty(parsed.ApplicationName) && DefaultApplicationName.Length > MaxApplicationNameBytes)
        {
            // PostgreSQL cuts a longer name, and two long schemas that share a beginning would then
            // end each other's sessions at start-up.
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(Schema)} '{Schema}' is too long for the default application name '{DefaultApplicationName}' ({MaxApplicationNameBytes} bytes at most): shorten it, or set Application Name in the connection string.",
                nameof(Schema));
        }

        if (CommitTimeout <= TimeSpan.Zero || CommitTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(CommitTimeout)} must be greater than 0 and at most 10 minutes (was {CommitTimeout}).",
                nameof(CommitTimeout));
        }

        if (StartupTimeout <= TimeSpan.Zero || StartupTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(StartupTimeout)} must be greater than 0 and at most 1 hour (was {StartupTimeout}).",
                nameof(StartupTimeout));
        }

        if (CopyThreshold < 1)
        {
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(CopyThreshold)} must be at least 1 (was {CopyThreshold}).",
                nameof(CopyThreshold));
        }

        if (CommitsInFlight < 1 || CommitsInFlight > MaxCommitsInFlight)
        {
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(CommitsInFlight)} must be 1 to {MaxCommitsInFlight} (was {CommitsInFlight}).",
                nameof(CommitsInFlight));
        }

        if (BodyCacheBytes < 0)
        {
            throw new ArgumentException(
                $"{nameof(PostgresStoreOptions)}.{nameof(BodyCacheBytes)} must not be negative (was {BodyCacheBytes}).",
                nameof(BodyCacheBytes));
        }
    }

    /// <summary>
    /// The application name the store's sessions use when the connection string sets none:
    /// <c>chronoq</c>, or <c>chronoq:SCHEMA</c> for another schema, since recovery ends the other
    /// sessions under its own name (servers of different schemas in one database must differ).
    /// </summary>
    internal string DefaultApplicationName => Schema == DefaultSchema ? "chronoq" : $"chronoq:{Schema}";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
