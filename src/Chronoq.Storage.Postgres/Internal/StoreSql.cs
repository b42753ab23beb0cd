using System.Globalization;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>The store's SQL, with the schema name filled in once.</summary>
internal sealed class StoreSql
{
    /// <summary>The columns in the order every statement and the recovery COPY uses.</summary>
    private const string Columns =
        "id, topic, body, priority, state, ready_at_ms, ttr_ms, key, created_at_ms, buried_at_ms, reserves, timeouts, releases, buries, kicks, headers";

    /// <summary>
    /// The rows of the sixteen column arrays, one unnest per array in the select list. Not the
    /// multi-array unnest in FROM: that is ROWS FROM(unnest($1), ...), which materializes every
    /// array into a tuplestore of its own before zipping them, costing PostgreSQL several µs of
    /// CPU a row more (see docs/benchmarks.md, "PostgreSQL cost per put"). In the select list
    /// they run in lockstep (ProjectSet) without materializing; arrays of unequal length are
    /// padded with NULLs either way. {0} is the body's expression.
    /// </summary>
    private const string SelectArrays =
        "SELECT unnest($1::bigint[]), unnest($2::text[]), {0}, unnest($4::bigint[]), unnest($5::smallint[]), unnest($6::bigint[]), " +
        "unnest($7::bigint[]), unnest($8::text[]), unnest($9::bigint[]), unnest($10::bigint[]), unnest($11::bigint[]), " +
        "unnest($12::bigint[]), unnest($13::bigint[]), unnest($14::bigint[]), unnest($15::bigint[]), unnest($16::text[])::jsonb";

    private const string UpdateMetadata =
        "topic = EXCLUDED.topic, priority = EXCLUDED.priority, state = EXCLUDED.state, ready_at_ms = EXCLUDED.ready_at_ms, " +
        "ttr_ms = EXCLUDED.ttr_ms, key = EXCLUDED.key, created_at_ms = EXCLUDED.created_at_ms, buried_at_ms = EXCLUDED.buried_at_ms, " +
        "reserves = EXCLUDED.reserves, timeouts = EXCLUDED.timeouts, releases = EXCLUDED.releases, buries = EXCLUDED.buries, " +
        "kicks = EXCLUDED.kicks, headers = EXCLUDED.headers";

    public StoreSql(string schema)
    {
        Schema = schema;
        string s = "\"" + schema + "\"";
        Jobs = s + ".jobs";
        string meta = s + ".meta";

        CreateVersionTable =
            $"CREATE SCHEMA IF NOT EXISTS {s}; " +
            $"CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";
        SelectSchemaVersion = $"SELECT coalesce(max(version), 0) FROM {s}.schema_version";
        InsertSchemaVersion = $"INSERT INTO {s}.schema_version (version) VALUES (@version)";

        DeleteJobs = $"DELETE FROM {Jobs} WHERE id = ANY($1::bigint[])";
        InsertJobs = $"INSERT INTO {Jobs} ({Columns}) " + string.Format(CultureInfo.InvariantCulture, SelectArrays, "unnest($3::bytea[])");
        UpsertJobs = InsertJobs + $" ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, {UpdateMetadata}";

        // For records whose body the store already holds: $3 is sent as an empty array and not
        // read (the body is not re-sent), and the stored body is kept. A
        // row that is somehow missing is inserted with an empty body rather than failing the whole
        // batch: that would be an engine bug, and an empty body is what ReadBodiesAsync reports for
        // a missing job anyway.
        UpsertJobsKeepingBody =
            $"INSERT INTO {Jobs} ({Columns}) " + string.Format(CultureInfo.InvariantCulture, SelectArrays, "'\\x'::bytea") +
            $" ON CONFLICT (id) DO UPDATE SET {UpdateMetadata}";

        RaiseHighWater = $"UPDATE {meta} SET id_high_water = GREATEST(id_high_water, $1) WHERE singleton";
        SelectHighWater = $"SELECT id_high_water FROM {meta} WHERE singleton";
        // max(id) reads one end of the primary key index.
        SelectHighWaterAndHighestId = $"SELECT id_high_water, (SELECT coalesce(max(id), 0) FROM {Jobs}) FROM {meta} WHERE singleton";
        EstimateJobCount = $"SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = '{Jobs}'::regclass";
        CopyOutJobs = $"COPY (SELECT {Columns} FROM {Jobs}) TO STDOUT (FORMAT BINARY)";
        CopyInJobs = $"COPY {Jobs} ({Columns}) FROM STDIN (FORMAT BINARY)";
        SelectBodies = $"SELECT id, body FROM {Jobs} WHERE id = ANY($1::bigint[])";
        // Only a session of ours, in this database: a process id may have been reused meanwhile.
        // The second argument makes pg_terminate_backend wait (PostgreSQL 14+) until it is gone.
        TerminateBackend =
            "SELECT coalesce(bool_and(pg_terminate_backend(pid, $2)), true) FROM pg_stat_activity " +
            "WHERE pid = $1 AND datname = current_database() AND usename = current_user";
        // Every other session under our name in this database, busy or idle: before recovery,
        // that can only be a server that died, maybe with a commit still running or still unread
        // in its socket. (Our own pool was cleared first, see EndEarlierServerSessionsAsync.)
        const string otherSessionsUnderOurName =
            "FROM pg_stat_activity WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid() " +
            "AND application_name = current_setting('application_name')";
        // Signals each to end without waiting (pg_terminate_backend in the select list, so it runs
        // only for rows the filter kept); a row per session: its pid and whether it was signalled.
        EndEarlierServerSessions = "SELECT pid, pg_terminate_backend(pid) " + otherSessionsUnderOurName;
        // How many of the signalled sessions ($1) are still there; the same filter, so a process
        // id reused meanwhile by some other session is not waited for.
        CountSessions = "SELECT count(*) " + otherSessionsUnderOurName + " AND pid = ANY($1)";
    }

    public string Schema { get; }
    public string Jobs { get; }
    public string CreateVersionTable { get; }
    public string SelectSchemaVersion { get; }
    public string InsertSchemaVersion { get; }
    public string DeleteJobs { get; }
    /// <summary>New rows only: without ON CONFLICT, PostgreSQL skips the speculative insertion an upsert makes for every row.</summary>
    public string InsertJobs { get; }
    public string UpsertJobs { get; }
    public string UpsertJobsKeepingBody { get; }
    public string RaiseHighWater { get; }
    public string SelectHighWater { get; }
    public string SelectHighWaterAndHighestId { get; }
    public string EstimateJobCount { get; }
    public string CopyOutJobs { get; }
    public string CopyInJobs { get; }
    public string SelectBodies { get; }
    public string TerminateBackend { get; }

    public string EndEarlierServerSessions { get; }

    public string CountSessions { get; }

    public string Migration(int version) => version switch
    {
        1 => MigrationV1(),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "No such schema version."),
    };

    private string MigrationV1()
    {
        string s = "\"" + Schema + "\"";
        // uint32 values (priority, counters) are stored as bigint: exact and readable in psql, at
        // 4 bytes a column more than a wrapped int would cost.
        //
        // fillfactor 80: a reserve, release or bury rewrites only unindexed columns, so PostgreSQL
        // can make it a HOT update (new tuple version on the same page, no index insert) if the page
        // has room; 20 % free space keeps that room.
        // autovacuum: the default scale factor 0.2 lets dead tuples reach a fifth of the table
        // before a vacuum; a queue deletes every row it ever inserts, so at millions of jobs that is
        // hundreds of thousands of dead rows and an index that grows to the right forever. 1 % plus
        // 1000 rows keeps vacuum close behind the churn, and cost_delay 0 lets it run unthrottled
        // because falling behind on this table costs more I/O (bloat) than vacuuming does.
        return
            $"CREATE TABLE {s}.jobs (" +
            "  id bigint NOT NULL PRIMARY KEY," +
            "  topic text NOT NULL," +
            "  body bytea NOT NULL," +
            "  priority bigint NOT NULL," +
            "  state smallint NOT NULL," +
            "  ready_at_ms bigint NOT NULL," +
            "  ttr_ms bigint NOT NULL," +
            "  key text NULL," +
            "  created_at_ms bigint NOT NULL," +
            "  buried_at_ms bigint NOT NULL," +
            "  reserves bigint NOT NULL," +
            "  timeouts bigint NOT NULL," +
            "  releases bigint NOT NULL," +
            "  buries bigint NOT NULL," +
            "  kicks bigint NOT NULL," +
            "  headers jsonb NULL" +
            ") WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000," +
            "  autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);" +
            // Live keys are unique per topic; the engine enforces it too, this catches its bugs.
            $"CREATE UNIQUE INDEX jobs_topic_key ON {s}.jobs (topic, key) WHERE key IS NOT NULL;" +
            // One row, updated by most commits: fillfactor 10 keeps its page nearly empty so every
            // update is HOT and pruned in place.
            $"CREATE TABLE {s}.meta (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), id_high_water bigint NOT NULL)" +
            "  WITH (fillfactor = 10);" +
            $"INSERT INTO {s}.meta (singleton, id_high_water) VALUES (true, 0);";
    }
}
