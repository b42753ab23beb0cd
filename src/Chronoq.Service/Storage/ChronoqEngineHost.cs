using Chronoq.Core;
using Chronoq.Core.Storage;
using Chronoq.Protocol.V1;
using Chronoq.Service.Health;
using Chronoq.Service.Storage.Internal;
using Chronoq.Storage.Postgres;
using Grpc.Health.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chronoq.Service.Storage;

/// <summary>
/// Runs the engine inside the host. Start: open the store chosen by <see cref="ChronoqStorageOptions"/>
/// (PostgreSQL, retried with backoff up to <see cref="ChronoqStorageOptions.StartupTimeout"/>, or
/// memory), recover its jobs, start the engine, then report the Chronoq service SERVING. Stop:
/// report NOT_SERVING, stop the engine (queued changes are committed or answered UNAVAILABLE,
/// streams end), close the store.
/// </summary>
public sealed class ChronoqEngineHost : IHostedService, IAsyncDisposable
{
    /// <summary>First pause between start-up attempts; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap on the pause, so a database that comes up is noticed within a few seconds.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(4);

    /// <summary>The configuration section the engine's limits bind from.</summary>
    public const string EngineSectionName = "Chronoq:Engine";

    private static readonly string ServiceName = ChronoqReflection.Descriptor.Services[0].FullName;

    private readonly IOptions<ChronoqStorageOptions> _storageOptions;
    private readonly IConfiguration _configuration;
    private readonly HealthStatusRegistry _health;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private IJobStore? _store;
    private volatile ChronoqEngine? _engine;

    /// <summary>Created by the container; see <see cref="EngineServiceCollectionExtensions.AddChronoqEngine"/>.</summary>
    public ChronoqEngineHost(
        IOptions<ChronoqStorageOptions> storageOptions,
        IConfiguration configuration,
        HealthStatusRegistry health,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        _storageOptions = storageOptions;
        _configuration = configuration;
        _health = health;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Chronoq.Service.Storage");
    }

    /// <summary>The running engine; null before start-up finished and after stop.</summary>
    public ChronoqEngine? Engine => _engine;

    /// <summary>"memory" or "postgres" once started.</summary>
    public string? StorageKind => _store?.Kind;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Nothing is served until recovery is done.
        _health.SetStatus(ServiceName, HealthCheckResponse.Types.ServingStatus.NotServing);
        var options = _storageOptions.Value;
        // The body budget is a storage setting (it only bites when bodies can be read back).
        var engineOptions = EngineOptionsFrom(_configuration) with { BodyCacheBytes = options.BodyCacheBytes };
        if (options.IsDurable)
        {
            (_store, _engine) = await StartDurableAsync(options, engineOptions, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            StorageLog.MemoryStorage(_logger);
            var store = new MonitoredJobStore(new MemoryJobStore(), _health, _logger);
            _engine = await ChronoqEngine.StartAsync(engineOptions, store, _timeProvider, cancellationToken).ConfigureAwait(false);
            _store = store;
        }

        _health.SetStatus(ServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        StorageLog.EngineStarted(_logger, _store.Kind);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _health.SetStatus(ServiceName, HealthCheckResponse.Types.ServingStatus.NotServing);
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var engine = _engine;
        _engine = null;
        if (engine is not null)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            StorageLog.EngineStopped(_logger);
        }

        var store = _store;
        _store = null;
        if (store is not null)
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The engine's limits, bound from <c>Chronoq:Engine</c> (e.g. <c>Chronoq:Engine:MaxBodyBytes</c>) and validated.</summary>
    private static EngineOptions EngineOptionsFrom(IConfiguration configuration)
    {
        var bound = configuration.GetSection(EngineSectionName).Get<EngineOptions>() ?? EngineOptions.Default;
        bound = bound with { Version = bound.Version ?? ChronoqHost.Version };
        try
        {
            bound.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{EngineSectionName}:{ex.ParamName} is not valid: {ex.Message}", ex);
        }

        return bound;
    }

    private async Task<(IJobStore Store, ChronoqEngine Engine)> StartDurableAsync(ChronoqStorageOptions options, EngineOptions engineOptions, CancellationToken cancellationToken)
    {
        var storeOptions = StorageOptionsValidator.ToStoreOptions(options);
        var endpoint = DescribeEndpoint(storeOptions.ConnectionString);
        StorageLog.PostgresStorage(_logger, endpoint, storeOptions.Schema);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.StartupTimeout);
        var delay = FirstRetryDelay;
        Exception? lastFailure = null;
        while (true)
        {
            PostgresJobStore? postgres = null;
            try
            {
                postgres = await PostgresJobStore.CreateAsync(storeOptions, _loggerFactory.CreateLogger("Chronoq.Storage.Postgres"), deadline.Token).ConfigureAwait(false);
                var store = new MonitoredJobStore(postgres, _health, _logger);
                var engine = await ChronoqEngine.StartAsync(engineOptions, store, _timeProvider, deadline.Token).ConfigureAwait(false);
                return (store, engine);
            }
            catch (Exception ex) when (ex is StorageUnavailableException or NpgsqlException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (postgres is not null)
                {
                    await postgres.DisposeAsync().ConfigureAwait(false);
                }

                if (ex is not OperationCanceledException)
                {
                    lastFailure = ex;
                }

                if (deadline.IsCancellationRequested)
                {
                    throw StartupFailed(options, endpoint, lastFailure);
                }

                StorageLog.StartupRetry(_logger, endpoint, (long)delay.TotalMilliseconds, options.StartupTimeout, ex);
            }

            try
            {
                await Task.Delay(delay, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw StartupFailed(options, endpoint, lastFailure);
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private static InvalidOperationException StartupFailed(ChronoqStorageOptions options, string endpoint, Exception? lastFailure) => new(
        $"Could not open PostgreSQL storage at {endpoint} within {ChronoqStorageOptions.SectionName}:StartupTimeout ({options.StartupTimeout}). " +
        $"Check {ChronoqStorageOptions.ConnectionStringSetting} and that the database is reachable; unset it to run with (non-durable) memory storage.",
        lastFailure);

    /// <summary>Where the store connects, for logs and errors: host, port, database and user, never the password.</summary>
    private static string DescribeEndpoint(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{settings.Host}:{settings.Port}/{settings.Database} as {settings.Username}";
    }
}
