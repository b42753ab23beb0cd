using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit;

namespace Chronoq.Testing.Postgres;

/// <summary>
/// A PostgreSQL server for tests. When <c>CHRONOQ_TEST_POSTGRES</c> holds a connection string, that
/// server is used; otherwise a throwaway PostgreSQL 15 cluster is created in a temporary directory,
/// listening on a free port of 127.0.0.1 with fsync and synchronous_commit on (durability is what
/// the store is for), and removed on dispose. Use it as an xunit collection fixture: one cluster
/// per test run, one database per test (<see cref="CreateDatabaseAsync"/>). Missing binaries make
/// the tests fail with a message saying how to install them, never skip.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    /// <summary>Environment variable with the connection string of an existing server to use instead.</summary>
    public const string ConnectionStringVariable = "CHRONOQ_TEST_POSTGRES";

    /// <summary>Environment variable naming the PostgreSQL bin directory; default /usr/lib/postgresql/15/bin.</summary>
    public const string BinDirectoryVariable = "CHRONOQ_TEST_POSTGRES_BIN";

    private const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>The OS user that owns the cluster when the tests run as root (initdb refuses root).</summary>
    private const string ClusterOsUser = "postgres";

    /// <summary>initdb of a fresh cluster takes a few seconds on a loaded two-core machine; a minute means it is stuck.</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly List<string> _createdDatabases = new();
    private string? _binDirectory;
    private string? _root;
    private string? _dataDirectory;
    private int _databaseCounter;

    /// <summary>True when this fixture created (and can stop and start) the cluster.</summary>
    public bool IsThrowaway { get; private set; }

    /// <summary>True while the throwaway cluster's server runs (always true for an external server).</summary>
    public bool IsRunning { get; private set; }

    /// <summary>Connection string of the maintenance database ("postgres"), as superuser.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>
    /// The admin connection without pooling, for the fixture's own rare statements: a pooled
    /// connection would be dead after <see cref="StopAsync"/> and fail the next one.
    /// </summary>
    private string UnpooledAdminConnectionString => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString;

    /// <summary>The TCP port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Picks the throwaway server's port: a free one of 127.0.0.1 unless a test of this fixture says otherwise.</summary>
    public Func<int> PickPort { get; init; } = FreeLoopbackPort;

    /// <summary>The server log of the throwaway cluster, or null.</summary>
    public string? LogFile { get; private set; }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        string? external = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            var settings = new NpgsqlConnectionStringBuilder(external);
            AdminConnectionString = settings.ConnectionString;
            Port = settings.Port;
            IsRunning = true;
            return;
        }

        _binDirectory = Environment.GetEnvironmentVariable(BinDirectoryVariable) ?? DefaultBinDirectory;
        if (!File.Exists(Path.Combine(_binDirectory, "initdb")) || !File.Exists(Path.Combine(_binDirectory, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 server binaries not found in '{_binDirectory}' (initdb, pg_ctl). Install them with " +
                $"scripts/install-test-prereqs.sh (apt-get install postgresql-15), set {BinDirectoryVariable} to their directory, " +
                $"or set {ConnectionStringVariable} to the connection string of a server to test against.");
        }

        if (Environment.IsPrivilegedProcess && !await CommandSucceedsAsync("id", ["-u", ClusterOsUser]).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"Running as root, but there is no '{ClusterOsUser}' OS user to own the throwaway cluster (initdb refuses to run as root). " +
                $"Install postgresql-15 with scripts/install-test-prereqs.sh, which creates it.");
        }

        IsThrowaway = true;
        _root = Directory.CreateTempSubdirectory("chronoq-pg-").FullName;
        _dataDirectory = Path.Combine(_root, "data");
        LogFile = Path.Combine(_root, "postgres.log");
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", [$"{ClusterOsUser}:{ClusterOsUser}", _root], asClusterUser: false).ConfigureAwait(false);
            }

            // --no-sync only skips flushing initdb's own files; the running server fsyncs normally.
            await RunClusterToolAsync("initdb", ["-D", _dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]).ConfigureAwait(false);
            var config = new StringBuilder()
                .AppendLine()
                .AppendLine("# Chronoq throwaway test cluster")
                .AppendLine("listen_addresses = '127.0.0.1'")
                .AppendLine($"unix_socket_directories = '{_root}'")
                .AppendLine("fsync = on")
                .AppendLine("synchronous_commit = on")
                .AppendLine("full_page_writes = on")
                .AppendLine("max_connections = 200")
                // Autovacuum wakes every 5 s instead of every minute, so churn tests see it work
                // within their run time; the per-table thresholds are the store's own.
                .AppendLine("autovacuum_naptime = 5s")
                .AppendLine("log_min_messages = warning")
                .ToString();
            await AppendAsClusterUserAsync(Path.Combine(_dataDirectory, "postgresql.conf"), config).ConfigureAwait(false);
            await StartOnAFreePortAsync().ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }

        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 10,
        }.ConnectionString;
    }

    /// <summary>Creates an empty database and returns a connection string for it.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t", CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix.Length, 30);
        string name = $"chronoq_{prefix}_{Interlocked.Increment(ref _databaseCounter)}_{Guid.NewGuid().ToString("N")[..12]}".ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(UnpooledAdminConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_createdDatabases)
        {
            _createdDatabases.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Ends every session connected to <paramref name="database"/> except the caller's; returns how many.</summary>
    public async Task<int> TerminateBackendsAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(UnpooledAdminConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database });
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The port is picked free, then bound by postgres a moment later, so another process can take
    /// it in between: then postgres cannot bind it and the start is tried again on another port (a
    /// later <c>port</c> line in postgresql.conf overrides an earlier one).
    /// </summary>
    private async Task StartOnAFreePortAsync()
    {
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            Port = PickPort();
            await AppendAsClusterUserAsync(Path.Combine(_dataDirectory!, "postgresql.conf"), $"port = {Port}\n").ConfigureAwait(false);
            try
            {
                await StartAsync().ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException ex) when (attempt < Attempts && ex.Message.Contains("could not bind", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Stops the throwaway server: "fast" (clean) or "immediate" (like a crash).</summary>
    public async Task StopAsync(bool immediate = false)
    {
        RequireThrowaway();
        await RunClusterToolAsync("pg_ctl", ["stop", "-D", _dataDirectory!, "-m", immediate ? "immediate" : "fast", "-w", "-t", "30"]).ConfigureAwait(false);
        IsRunning = false;
    }

    /// <summary>Starts the throwaway server again, on the same port, and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        RequireThrowaway();
        try
        {
            await RunClusterToolAsync("pg_ctl", ["start", "-D", _dataDirectory!, "-l", LogFile!, "-w", "-t", "30"]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            string log = File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile!).TakeLast(20)) : "(no log)";
            throw new InvalidOperationException($"The throwaway PostgreSQL cluster did not start: {ex.Message}\nServer log:\n{log}", ex);
        }

        IsRunning = true;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (!IsThrowaway)
        {
            await DropCreatedDatabasesAsync().ConfigureAwait(false);
            return;
        }

        if (_dataDirectory is not null && File.Exists(Path.Combine(_dataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunClusterToolAsync("pg_ctl", ["stop", "-D", _dataDirectory, "-m", "immediate", "-w", "-t", "20"]).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                KillPostmaster();
            }
        }

        IsRunning = false;
        if (_root is not null && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private async Task DropCreatedDatabasesAsync()
    {
        string[] names;
        lock (_createdDatabases)
        {
            names = [.. _createdDatabases];
        }

        if (names.Length == 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(UnpooledAdminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        foreach (string name in names)
        {
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    private void RequireThrowaway()
    {
        if (!IsThrowaway)
        {
            throw new InvalidOperationException(
                $"Stopping and starting the server needs the throwaway cluster; unset {ConnectionStringVariable} to run outage tests.");
        }
    }

    private void KillPostmaster()
    {
        string pidFile = Path.Combine(_dataDirectory!, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out int pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task AppendAsClusterUserAsync(string path, string text)
    {
        // The file belongs to the cluster user; appending as root keeps its owner, so no runuser needed.
        await File.AppendAllTextAsync(path, text).ConfigureAwait(false);
    }

    private Task RunClusterToolAsync(string tool, IReadOnlyList<string> arguments) =>
        RunAsync(Path.Combine(_binDirectory!, tool), arguments, asClusterUser: Environment.IsPrivilegedProcess);

    private static async Task<bool> CommandSucceedsAsync(string file, IReadOnlyList<string> arguments)
    {
        try
        {
            await RunAsync(file, arguments, asClusterUser: false).ConfigureAwait(false);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, bool asClusterUser)
    {
        var start = new ProcessStartInfo
        {
            FileName = asClusterUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asClusterUser)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(ClusterOsUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        // pg_ctl start hands the server's output to the log file (-l), so these pipes close when
        // pg_ctl itself exits.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds} s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error.ConfigureAwait(false)} {await output.ConfigureAwait(false)}");
        }
    }
}
