using System.Diagnostics;
using Chronoq.Core.Storage;
using Chronoq.Storage.Postgres.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Chronoq.Storage.Postgres;

/// <summary>
/// The durable store: a write-ahead table of live jobs in PostgreSQL. Each engine batch is
/// committed in one transaction and one round trip; start-up recovery reads every live job back
/// with one binary COPY. Create it with <see cref="CreateAsync"/>, which also migrates the schema.
/// </summary>
public sealed class PostgresJobStore : IJobStore
{
    /// <summary>First pause between attempts; doubles up to <see cref="MaxRetryDelayMs"/>. Short,
    /// because the usual transient fault is one dead pooled connection and the next one works.</summary>
    private const int FirstRetryDelayMs = 20;

    /// <summary>Cap on the pause between attempts, so a server that returns is noticed within half a second.</summary>
    private const int MaxRetryDelayMs = 500;

    /// <summary>Pause between looks at whether ended sessions are gone: a terminated backend
    /// exits within milliseconds, and the look is one cheap statement.</summary>
    private static readonly TimeSpan SessionEndPollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>How long to wait for server sessions we end (an abandoned commit's, or all of an
    /// earlier server's together) to be gone: a live server ends a session in milliseconds, so
    /// seconds mean it is unreachable.</summary>
    private static readonly TimeSpan SessionEndTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Session settings every connection of the store starts with (see <see cref="PlannerSettingsStatement"/>).</summary>
    private static readonly (string Name, string Value)[] PlannerSettings = [("enable_seqscan", "off"), ("jit", "off")];

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresStoreOptions _options;
    private readonly StoreSql _sql;
    private readonly ILogger _logger;

    // Up to CommitsInFlight commits run at once, each with its own columns and connection. A
    // commit we stopped waiting for (deadline passed) keeps its slot until it has really ended, so
    // abandoned commits cannot pile up beyond the slots.
    private readonly CommitSlots _slots;
    private readonly HighWaterMarks _highWater = new();
    private int _disposed;

    private PostgresJobStore(NpgsqlDataSource dataSource, PostgresStoreOptions options, ILogger logger)
    {
        _dataSource = dataSource;
        _options = options;
        _sql = new StoreSql(options.Schema);
        _logger = logger;
        _slots = new CommitSlots(options.CommitsInFlight);
    }

    /// <inheritdoc />
    public string Kind => "postgres";

    /// <summary>The options the store runs with.</summary>
    public PostgresStoreOptions Options => _options;

    /// <summary>
    /// <see cref="PostgresStoreOptions.CommitsInFlight"/>: each commit runs in its own transaction on
    /// its own connection; overlapping ones touch different rows and meet only at the high-water row.
    /// </summary>
    public int MaxCommitsInFlight => _options.CommitsInFlight;

    /// <summary>
    /// Validates <paramref name="options"/>, opens a connection pool, and creates or migrates the
    /// schema. Throws <see cref="ArgumentException"/> for bad options and
    /// <see cref="StorageUnavailableException"/> when PostgreSQL cannot be reached.
    /// </summary>
    public static async Task<PostgresJobStore> CreateAsync(PostgresStoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var settings = builder.ConnectionStringBuilder;
        // The same few statements run thousands of times a second; preparing them once per
        // physical connection saves the parse and plan on every commit.
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 16;
            settings.AutoPrepareMinUsages = 2;
        }

        // The store owns this pool and sets its session state once per physical connection (the
        // planner settings below), so the session reset Npgsql would send when reusing a pooled
        // connection is overhead, and worse: DISCARD ALL would undo those settings. Keep it off.
        settings.NoResetOnClose = true;
        if (PlannerSettingsStatement(settings.Options ?? Environment.GetEnvironmentVariable("PGOPTIONS")) is { } plannerSettings)
        {
            // A SET when each physical connection opens rather than startup Options, which PgBouncer
            // refuses unless told to ignore them. Bounded like a commit: it runs inside every open,
            // where the caller's deadline no longer reaches.
            var timeoutSeconds = (int)Math.Ceiling(options.CommitTimeout.TotalSeconds);
            NpgsqlCommand Command(NpgsqlConnection connection) => new(plannerSettings, connection) { CommandTimeout = timeoutSeconds };
            builder.UsePhysicalConnectionInitializer(
                connection =>
                {
                    using var command = Command(connection);
                    command.ExecuteNonQuery();
                },
                async connection =>
                {
                    await using var command = Command(connection);
                    await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                });
        }

        // Recovery ends the other sessions under this name (EndEarlierServerSessionsAsync).
        if (string.IsNullOrEmpty(settings.ApplicationName))
        {
            settings.ApplicationName = options.DefaultApplicationName;
        }

        // Npgsql's metrics (on /metrics and in the OTLP export) label the pool with this name; its
        // default, the whole connection string, would put host, database and user into every series.
        builder.Name = settings.ApplicationName;

        var dataSource = builder.Build();
        var store = new PostgresJobStore(dataSource, options, logger);
        try
        {
            await store.RunBoundedAsync(
                "Schema migration",
                static (s, _, deadline) => s.RetryAsync(
                    "Schema migration",
                    async token =>
                    {
                        await SchemaMigrator.MigrateAsync(s._dataSource, s._sql, s._logger, token).ConfigureAwait(false);
                        // Ids above the highest stored one are new rows (see CommitColumns.Inserted),
                        // so it must be known before the first commit, even one made without RecoverAsync.
                        await s.ReadHighWaterAsync(token).ConfigureAwait(false);
                        return true;
                    },
                    deadline),
                state: (object?)null,
                options.StartupTimeout,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return store;
    }

    /// <summary>
    /// The SET statement for the planner settings the store relies on, leaving out any the startup
    /// <paramref name="options"/> (the connection string's <c>Options</c>, else <c>PGOPTIONS</c>) set
    /// themselves; null when they set them all.
    /// <para><c>enable_seqscan = off</c>: every statement the store runs finds its rows by primary
    /// key, except recovery's read of the whole table, which has no other plan. A prepared
    /// statement's generic plan is made once, for the table as it was then: made while a fresh table
    /// held a handful of rows, the commit's DELETE became a sequential scan, and stayed one while the
    /// put/delete churn left tens of thousands of dead rows for every commit to read, until
    /// autovacuum happened to analyze the table (measured: 20k put-reserve-delete cycles a second
    /// falling to 2k, in most fresh databases).</para>
    /// <para><c>jit = off</c>: the cost that disables a sequential scan would otherwise make PostgreSQL
    /// JIT-compile recovery's read and catalog queries; none of the store's statements gains from it.</para>
    /// </summary>
    internal static string? PlannerSettingsStatement(string? options)
    {
        var statements = PlannerSettings
            // PostgreSQL reads a dash in a setting's name as an underscore.
            .Where(setting => options is null || !options.Replace('-', '_').Contains(setting.Name + "=", StringComparison.OrdinalIgnoreCase))
            .Select(setting => $"SET {setting.Name} = {setting.Value}");
        var statement = string.Join("; ", statements);
        return statement.Length == 0 ? null : statement;
    }

    /// <inheritdoc />
    public async Task<RecoveredState> RecoverAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        long started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await EndEarlierServerSessionsAsync(connection, cancellationToken).ConfigureAwait(false);

            long estimate;
            ulong storedHighWater;
            await using (var batch = new NpgsqlBatch(connection))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(_sql.EstimateJobCount));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(_sql.SelectHighWater));
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                estimate = reader.GetInt64(0);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                storedHighWater = (ulong)reader.GetInt64(0);
            }

            // reltuples is an estimate (-1 or 0 before the first ANALYZE); a little headroom saves a
            // regrow of a multi-million-entry list, and the cap keeps a stale estimate harmless.
            var jobs = new List<JobRecord>((int)Math.Clamp(estimate + estimate / 16, 16, 64_000_000));
            var topics = new Dictionary<string, string>(StringComparer.Ordinal);
            ulong maxId = 0;

            // The rows are read with the synchronous exporter API on a pool thread: sixteen awaits
            // per row cost more than the whole decode (measured: several times slower for 1 M
            // rows), and recovery runs once, before the engine serves, so a blocked thread is cheap.
            maxId = await Task.Run(
                () =>
                {
                    ulong max = 0;
                    long bodyBytes = 0;
                    using var exporter = connection.BeginBinaryExport(_sql.CopyOutJobs);
                    // A cancel request travels on its own connection, so it is safe from another thread.
                    using var registration = cancellationToken.Register(static e => ((NpgsqlBinaryExporter)e!).Cancel(), exporter);
                    while (exporter.StartRow() != -1)
                    {
                        // Bodies past the engine's budget would be dropped at once: skip them here, so
                        // recovery's memory is bounded by the budget too (the engine reads them back).
                        var record = ReadRecord(exporter, topics, loadBody: _options.BodyCacheBytes == 0 || bodyBytes < _options.BodyCacheBytes);
                        bodyBytes += record.Body.Length;
                        jobs.Add(record);
                        if (record.Id > max)
                        {
                            max = record.Id;
                        }
                    }

                    return max;
                },
                cancellationToken).ConfigureAwait(false);

            ulong highWater = _highWater.Reset(storedHighWater, maxId);
            PostgresStoreLog.Recovered(_logger, jobs.Count, highWater, _options.Schema, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new RecoveredState(jobs, highWater);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            throw new OperationCanceledException("Recovery was cancelled.", ex, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            PostgresStoreLog.Unavailable(_logger, "Recovery", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex);
            throw new StorageUnavailableException($"Could not read the stored jobs from PostgreSQL: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (batch.Mutations.Count == 0 && batch.IdHighWater <= _highWater.Proven)
        {
            return;
        }

        long started = Stopwatch.GetTimestamp();
        TimeSpan timeout = _options.CommitTimeout;
        if (await _slots.EnterAsync(timeout, cancellationToken).ConfigureAwait(false) is not { } columns)
        {
            throw new StorageUnavailableException(
                $"Earlier commits to PostgreSQL ({_slots.Count} may run at once) have not ended within {timeout.TotalSeconds:0.###} s.");
        }

        bool slotHandedOff = false;
        try
        {
            // Everything needed is copied out of the batch here, synchronously: if we give up
            // waiting below, the engine may clear and reuse the batch while the attempt winds down.
            columns.Load(batch, _highWater);
            if (columns.IsEmpty)
            {
                return;
            }

            TimeSpan remaining = timeout - Stopwatch.GetElapsedTime(started);
            slotHandedOff = true;

            // The slot's use count goes along: giving up may race with the commit's end, after which
            // the same columns may already serve the next commit, which must not be marked abandoned.
            await RunBoundedAsync(
                "Commit",
                static (store, slot, token) => store.CommitWithRetriesAsync(slot.Columns, token),
                (Columns: columns, Use: columns.Uses),
                remaining,
                cancellationToken,
                whenEnded: static (store, slot) => store._slots.Exit(slot.Columns),
                whenAbandoned: static (store, slot) => store._slots.Abandon(slot.Columns, slot.Use)).ConfigureAwait(false);
        }
        finally
        {
            if (!slotHandedOff)
            {
                _slots.Exit(columns);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var bodies = new ReadOnlyMemory<byte>[ids.Count];
        if (ids.Count == 0)
        {
            return bodies;
        }

        var stored = new long[ids.Count];
        for (int i = 0; i < stored.Length; i++)
        {
            stored[i] = CommitColumns.ToStored(ids[i]);
        }

        var found = await RunBoundedAsync(
            "Body read",
            static (store, stored, token) => store.ReadBodiesWithRetriesAsync(stored, token),
            stored,
            _options.CommitTimeout,
            cancellationToken).ConfigureAwait(false);

        for (int i = 0; i < bodies.Length; i++)
        {
            bodies[i] = found.TryGetValue(stored[i], out var body) ? body : ReadOnlyMemory<byte>.Empty;
        }

        return bodies;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Let the in-flight commits end (each is bounded by its own deadline, and they run side
        // by side, so one bound covers them all) before the pool goes.
        await _slots.WaitUntilIdleAsync(_options.CommitTimeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);

        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> with a deadline: its token is cancelled when the time is up,
    /// and the caller stops waiting then too, even if the operation takes longer to unwind. Every
    /// failure except the caller's own cancellation surfaces as <see cref="StorageUnavailableException"/>.
    /// </summary>
    /// <param name="state">Handed to <paramref name="operation"/> and <paramref name="whenEnded"/>, so neither needs a closure.</param>
    /// <param name="whenEnded">Runs once the operation has really ended, which may be after the
    /// caller stopped waiting for it (a commit gives back its slot there).</param>
    /// <param name="whenAbandoned">Runs when the caller stops waiting while the operation still
    /// runs, before the caller hears of it; <paramref name="whenEnded"/> may already have run.</param>
    private async Task<T> RunBoundedAsync<TState, T>(
        string what,
        Func<PostgresJobStore, TState, CancellationToken, Task<T>> operation,
        TState state,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        Action<PostgresJobStore, TState>? whenEnded = null,
        Action<PostgresJobStore, TState>? whenAbandoned = null)
    {
        long started = Stopwatch.GetTimestamp();
        if (timeout <= TimeSpan.Zero)
        {
            timeout = TimeSpan.FromMilliseconds(1);
        }

        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Task<T> work;
        try
        {
            work = operation(this, state, deadline.Token);
        }
        catch (Exception ex)
        {
            deadline.Dispose();
            whenEnded?.Invoke(this, state);
            throw Unavailable(what, started, ex);
        }

        _ = work.ContinueWith(
            static (task, boxed) =>
            {
                _ = task.Exception; // observed: the caller saw it, or gave up waiting
                var (source, store, state, whenEnded) = ((CancellationTokenSource, PostgresJobStore, TState, Action<PostgresJobStore, TState>?))boxed!;
                source.Dispose();
                whenEnded?.Invoke(store, state);
            },
            (deadline, this, state, whenEnded),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        try
        {
            try
            {
                return await work.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (!work.IsCompleted)
                {
                    whenAbandoned?.Invoke(this, state);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutException ex) when (!work.IsCompleted)
        {
            throw Unavailable(what, started, new TimeoutException($"{what} did not complete within {timeout.TotalSeconds:0.###} s.", ex));
        }
        catch (Exception ex)
        {
            throw Unavailable(what, started, ex);
        }
    }

    private StorageUnavailableException Unavailable(string what, long started, Exception cause)
    {
        long elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        PostgresStoreLog.Unavailable(_logger, what, elapsedMs, cause);
        return cause as StorageUnavailableException
            ?? new StorageUnavailableException($"{what} failed: PostgreSQL unavailable after {elapsedMs} ms ({cause.GetType().Name}: {cause.Message}).", cause);
    }

    /// <summary>
    /// Attempts until success, a fault that is not transient, or the deadline. On a deadline the
    /// last real fault is reported rather than the cancellation it caused.
    /// </summary>
    private async Task<T> RetryAsync<T>(string what, Func<CancellationToken, Task<T>> attempt, CancellationToken deadline)
    {
        int delayMs = FirstRetryDelayMs;
        Exception? lastFault = null;
        for (int attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
                return await attempt(deadline).ConfigureAwait(false);
            }
            catch (Exception ex) when (deadline.IsCancellationRequested && lastFault is not null && ex is OperationCanceledException or NpgsqlException)
            {
                throw new StorageUnavailableException($"{what} failed: PostgreSQL unavailable until the deadline; last error: {lastFault.Message}", lastFault);
            }
            catch (Exception ex) when (!deadline.IsCancellationRequested && StorageFault.IsTransient(ex))
            {
                lastFault = ex;
                if (StorageFault.BrokeConnection(ex))
                {
                    // Idle pooled connections to a restarted server are dead too; drop them all
                    // rather than failing once per stale connection.
                    _dataSource.Clear();
                }

                PostgresStoreLog.Retrying(_logger, what, attemptNumber, ex);
                try
                {
                    await Task.Delay(delayMs, deadline).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    throw new StorageUnavailableException($"{what} failed: PostgreSQL unavailable until the deadline; last error: {ex.Message}", ex);
                }

                delayMs = Math.Min(delayMs * 2, MaxRetryDelayMs);
            }
        }
    }

    private async Task<bool> CommitWithRetriesAsync(CommitColumns columns, CancellationToken deadline)
    {
        // Only the first attempt writes the new rows as plain inserts (by COPY from CopyThreshold
        // of them): a retry follows an attempt whose outcome may be unknown (it may have
        // committed), and only the upsert form can be sent again safely.
        bool firstAttempt = true;
        try
        {
            await RetryAsync(
                "Commit",
                token =>
                {
                    var newRows = !firstAttempt ? NewRows.Upsert
                        : columns.Inserted.Count >= _options.CopyThreshold ? NewRows.Copy
                        : NewRows.Insert;
                    firstAttempt = false;
                    return CommitOnceAsync(columns, newRows, token);
                },
                deadline).ConfigureAwait(false);
        }
        catch
        {
            // Belt and braces: a deleting commit stores its own mark in the same transaction when Stored is lower; this keeps Proven safe without relying on that.
            _highWater.Failed();
            throw;
        }

        _highWater.Committed(columns.BatchHighWater, columns.ProvenWithoutMark, (ulong?)columns.HighWater, columns.HasDeletes);
        return true;
    }

    /// <summary>
    /// One attempt. Without COPY: every statement in one NpgsqlBatch, so one round trip and, with
    /// no explicit transaction, one implicit transaction: Npgsql sends a single Sync after the last
    /// statement, and an error in any statement skips the rest and rolls back the earlier ones
    /// (https://www.npgsql.org/doc/api/Npgsql.NpgsqlBatchCommand.html, AppendErrorBarrier).
    /// With COPY: the same statements minus the new rows, then the new rows by binary COPY, in one
    /// explicit transaction.
    /// </summary>
    private async Task<bool> CommitOnceAsync(CommitColumns columns, NewRows newRows, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        int backend = connection.ProcessID;
        try
        {
            if (newRows == NewRows.Copy)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var batch = StatementBatch(connection, columns, newRows))
                {
                    // BEGIN travels with this batch, or with the COPY when there is none.
                    if (batch.BatchCommands.Count > 0)
                    {
                        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await CopyInsertedAsync(columns, connection, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await using var batch = StatementBatch(connection, columns, newRows);
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not PostgresException)
        {
            // The server did not report an error, so it may still be running this transaction:
            // waiting on a lock, say, after our cancel request went unheard. Left alone it could
            // commit after the caller was told UNAVAILABLE. (A PostgresException means the server
            // already aborted it.)
            await EndAbandonedBackendAsync(backend).ConfigureAwait(false);
            throw;
        }

        return true;
    }

    /// <summary>The commit's statements; the new rows among them unless they go by COPY.</summary>
    private NpgsqlBatch StatementBatch(NpgsqlConnection connection, CommitColumns columns, NewRows newRows)
    {
        var batch = new NpgsqlBatch(connection);

        // Deletes first: a job deleted by key and a new job put with the same key in one batch
        // would otherwise trip the unique (topic, key) index.
        if (columns.DeletedIds.Count > 0)
        {
            var delete = new NpgsqlBatchCommand(_sql.DeleteJobs);
            delete.Parameters.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.DeletedIds });
            batch.BatchCommands.Add(delete);
        }

        if (newRows != NewRows.Copy && columns.Inserted.Count > 0)
        {
            batch.BatchCommands.Add(UpsertCommand(newRows == NewRows.Insert ? _sql.InsertJobs : _sql.UpsertJobs, columns.Inserted));
        }

        if (columns.WithBody.Count > 0)
        {
            batch.BatchCommands.Add(UpsertCommand(_sql.UpsertJobs, columns.WithBody));
        }

        if (columns.KeepingBody.Count > 0)
        {
            batch.BatchCommands.Add(UpsertCommand(_sql.UpsertJobsKeepingBody, columns.KeepingBody));
        }

        if (columns.HighWater is long highWater)
        {
            var raise = new NpgsqlBatchCommand(_sql.RaiseHighWater);
            raise.Parameters.Add(new NpgsqlParameter<long> { TypedValue = highWater });
            batch.BatchCommands.Add(raise);
        }

        return batch;
    }

    /// <summary>
    /// Writes the new rows with one binary COPY, in the column order of <see cref="StoreSql.CopyInJobs"/>.
    /// The rows are written with the synchronous API: a value lands in Npgsql's buffer, which is
    /// sent when full, so sixteen awaits a row would cost more than the encoding itself. A send
    /// that blocks (a server that stopped reading) ends after the importer's timeout, the commit
    /// timeout, so an abandoned commit still ends and frees its commit slot.
    /// </summary>
    private async Task CopyInsertedAsync(CommitColumns columns, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = columns.Inserted;
        await using var importer = await connection.BeginBinaryImportAsync(_sql.CopyInJobs, cancellationToken).ConfigureAwait(false);
        importer.Timeout = _options.CommitTimeout;
        for (int i = 0; i < rows.Count; i++)
        {
            importer.StartRow();
            importer.Write(rows.Ids[i], NpgsqlDbType.Bigint);
            importer.Write(rows.Topics[i], NpgsqlDbType.Text);
            importer.Write(rows.Bodies[i], NpgsqlDbType.Bytea);
            importer.Write(rows.Priorities[i], NpgsqlDbType.Bigint);
            importer.Write(rows.States[i], NpgsqlDbType.Smallint);
            importer.Write(rows.ReadyAtMs[i], NpgsqlDbType.Bigint);
            importer.Write(rows.TtrMs[i], NpgsqlDbType.Bigint);
            WriteNullable(importer, rows.Keys[i], NpgsqlDbType.Text);
            importer.Write(rows.CreatedAtMs[i], NpgsqlDbType.Bigint);
            importer.Write(rows.BuriedAtMs[i], NpgsqlDbType.Bigint);
            importer.Write(rows.Reserves[i], NpgsqlDbType.Bigint);
            importer.Write(rows.Timeouts[i], NpgsqlDbType.Bigint);
            importer.Write(rows.Releases[i], NpgsqlDbType.Bigint);
            importer.Write(rows.Buries[i], NpgsqlDbType.Bigint);
            importer.Write(rows.Kicks[i], NpgsqlDbType.Bigint);
            WriteNullable(importer, rows.Headers[i], NpgsqlDbType.Jsonb);
        }

        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteNullable(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, type);
        }
    }

    /// <summary>
    /// A server killed while its commit still ran in PostgreSQL leaves that commit running in its
    /// session, and it may land after this server has read the table back: a job this server
    /// would not know, with the id it hands out next, or an update that brings back a job it has
    /// since deleted. Its session may even look idle while the commit still sits unread in the
    /// socket buffer, for PostgreSQL to run later. So recovery first ends every session under our
    /// application name on this database but <paramref name="connection"/>'s own, busy or idle, and
    /// waits until all are gone (a commit of theirs then either landed before the read or never
    /// will). One server owns a schema (the Kubernetes deployment is one replica, recreated);
    /// servers of other schemas in the database run under other names.
    /// </summary>
    /// <remarks>
    /// This store's own idle pooled connections run under the same name and would be ended too,
    /// leaving dead connections for the next commit; so the pool is cleared first. Nothing else
    /// uses it meanwhile: recovery comes before the engine's first commit or body read, and the
    /// health endpoints only read the health registry. <paramref name="connection"/> was taken
    /// from the pool before the clear, so it is normally the pool's only connection (the one the
    /// migration used) and the clear closes nothing; the pool closes it when it is returned. A
    /// connection the clear did close has its session exit within milliseconds; should the fence
    /// still see it, it is signalled and awaited with the rest, no harm done but a count one too high.
    /// </remarks>
    private async Task EndEarlierServerSessionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        _dataSource.Clear();

        // All are signalled in one statement, then awaited together, so the wait is one bound
        // rather than one per session. A false from pg_terminate_backend means the session was
        // already gone: nothing to wait for.
        var signalled = new List<int>();
        await using (var command = new NpgsqlCommand(_sql.EndEarlierServerSessions, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.GetBoolean(1))
                {
                    signalled.Add(reader.GetInt32(0));
                }
            }
        }

        if (signalled.Count == 0)
        {
            return;
        }

        // pg_stat_activity is a snapshot taken once per transaction, so each look is a statement
        // (an implicit transaction) of its own.
        long started = Stopwatch.GetTimestamp();
        await using var count = new NpgsqlCommand(_sql.CountSessions, connection);
        count.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = signalled.ToArray() });
        while (true)
        {
            var remaining = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (remaining == 0)
            {
                break;
            }

            if (Stopwatch.GetElapsedTime(started) >= SessionEndTimeout)
            {
                throw new StorageUnavailableException(
                    $"{remaining} of {signalled.Count} session(s) of an earlier Chronoq server on this database did not end within {SessionEndTimeout.TotalSeconds:0} s; recovery would not see what they may still commit.");
            }

            await Task.Delay(SessionEndPollInterval, cancellationToken).ConfigureAwait(false);
        }

        PostgresStoreLog.EarlierServerSessionsEnded(_logger, signalled.Count);
    }

    /// <summary>
    /// Terminates the server session of an abandoned attempt and waits until it is gone, so the
    /// transaction it carried is rolled back, unless it committed already: that window, between
    /// COMMIT on the server and its reply reaching us, no client can close. Bounded, and quiet
    /// when the server is unreachable (then the session died with the connection or the server).
    /// The commit keeps its slot meanwhile, so abandoned commits cannot pile up. Only this
    /// attempt's own session is ended: commits that overlap it run on sessions of their own.
    /// </summary>
    private async Task EndAbandonedBackendAsync(int backend)
    {
        using var timeout = new CancellationTokenSource(SessionEndTimeout);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(_sql.TerminateBackend, connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = backend });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)(SessionEndTimeout.TotalMilliseconds / 2) });
            bool? ended = await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false) as bool?;
            PostgresStoreLog.AbandonedCommitEnded(_logger, backend, ended ?? false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or IOException or TimeoutException)
        {
            PostgresStoreLog.AbandonedCommitUnconfirmed(_logger, backend, ex);
        }
    }

    private static NpgsqlBatchCommand UpsertCommand(string sql, UpsertColumns columns)
    {
        var command = new NpgsqlBatchCommand(sql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Ids });
        p.Add(new NpgsqlParameter<List<string>> { TypedValue = columns.Topics });
        p.Add(new NpgsqlParameter<List<byte[]>> { TypedValue = columns.Bodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Priorities });
        p.Add(new NpgsqlParameter<List<short>> { TypedValue = columns.States });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.ReadyAtMs });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.TtrMs });
        p.Add(new NpgsqlParameter<List<string?>> { TypedValue = columns.Keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.CreatedAtMs });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.BuriedAtMs });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Reserves });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Timeouts });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Releases });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Buries });
        p.Add(new NpgsqlParameter<List<long>> { TypedValue = columns.Kicks });
        p.Add(new NpgsqlParameter<List<string?>> { TypedValue = columns.Headers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return command;
    }

    private async Task ReadHighWaterAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(_sql.SelectHighWaterAndHighestId, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        _highWater.Reset((ulong)reader.GetInt64(0), (ulong)reader.GetInt64(1));
    }

    private Task<Dictionary<long, ReadOnlyMemory<byte>>> ReadBodiesWithRetriesAsync(long[] ids, CancellationToken deadline) =>
        RetryAsync(
            "Body read",
            async token =>
            {
                var found = new Dictionary<long, ReadOnlyMemory<byte>>(ids.Length);
                await using var connection = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                await using var command = new NpgsqlCommand(_sql.SelectBodies, connection);
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    found[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
                }

                return found;
            },
            deadline);

    private static JobRecord ReadRecord(NpgsqlBinaryExporter exporter, Dictionary<string, string> topics, bool loadBody)
    {
        long id = exporter.Read<long>(NpgsqlDbType.Bigint);
        string topic = exporter.Read<string>(NpgsqlDbType.Text);
        // A topic name repeats across millions of jobs: keep one string per topic.
        if (topics.TryGetValue(topic, out var known))
        {
            topic = known;
        }
        else
        {
            topics.Add(topic, topic);
        }

        byte[] body = [];
        if (loadBody)
        {
            body = exporter.Read<byte[]>(NpgsqlDbType.Bytea);
        }
        else
        {
            exporter.Skip();
        }

        long priority = exporter.Read<long>(NpgsqlDbType.Bigint);
        short state = exporter.Read<short>(NpgsqlDbType.Smallint);
        long readyAtMs = exporter.Read<long>(NpgsqlDbType.Bigint);
        long ttrMs = exporter.Read<long>(NpgsqlDbType.Bigint);
        string? key = ReadNullableText(exporter, NpgsqlDbType.Text);
        long createdAtMs = exporter.Read<long>(NpgsqlDbType.Bigint);
        long buriedAtMs = exporter.Read<long>(NpgsqlDbType.Bigint);
        long reserves = exporter.Read<long>(NpgsqlDbType.Bigint);
        long timeouts = exporter.Read<long>(NpgsqlDbType.Bigint);
        long releases = exporter.Read<long>(NpgsqlDbType.Bigint);
        long buries = exporter.Read<long>(NpgsqlDbType.Bigint);
        long kicks = exporter.Read<long>(NpgsqlDbType.Bigint);
        string? headers = ReadNullableText(exporter, NpgsqlDbType.Jsonb);

        return new JobRecord
        {
            Id = (ulong)id,
            Topic = topic,
            Body = body,
            BodyUnchanged = !loadBody,
            Priority = (uint)priority,
            State = (StoredJobState)state,
            ReadyAtMs = readyAtMs,
            TtrMs = ttrMs,
            Key = key,
            CreatedAtMs = createdAtMs,
            BuriedAtMs = buriedAtMs,
            Reserves = (uint)reserves,
            Timeouts = (uint)timeouts,
            Releases = (uint)releases,
            Buries = (uint)buries,
            Kicks = (uint)kicks,
            Headers = HeaderCodec.Decode(headers),
        };
    }

    private static string? ReadNullableText(NpgsqlBinaryExporter exporter, NpgsqlDbType type)
    {
        if (exporter.IsNull)
        {
            exporter.Skip();
            return null;
        }

        return exporter.Read<string>(type);
    }

    /// <summary>How one attempt writes the jobs above the committed high-water mark.</summary>
    private enum NewRows
    {
        /// <summary>INSERT from the unnest arrays: no row can exist yet, so no ON CONFLICT.</summary>
        Insert,

        /// <summary>Binary COPY, cheaper per row but a round trip more.</summary>
        Copy,

        /// <summary>INSERT ... ON CONFLICT DO UPDATE: safe to send again after an attempt whose outcome is unknown.</summary>
        Upsert,
    }
}
