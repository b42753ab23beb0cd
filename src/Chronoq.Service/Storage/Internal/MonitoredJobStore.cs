using Chronoq.Core.Storage;
using Chronoq.Protocol.V1;
using Chronoq.Service.Health;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;

namespace Chronoq.Service.Storage.Internal;

/// <summary>
/// The store as the engine sees it, watched for health: a failing commit (or body read) turns the Chronoq service
/// NOT_SERVING, and the next commit that succeeds turns it SERVING again. While failing, a probe
/// (a one-row body read, which needs a real round trip) runs every <see cref="ProbeInterval"/>, so
/// health recovers even when no client writes — a readiness probe that routes no traffic until
/// health recovers would otherwise never see it recover.
/// </summary>
internal sealed class MonitoredJobStore : IJobStore
{
    /// <summary>Often enough that health follows a returning database within about a second; rare enough to cost nothing.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private static readonly string ServiceName = ChronoqReflection.Descriptor.Services[0].FullName;
    private static readonly ulong[] ProbeIds = [0];

    private readonly IJobStore _inner;
    private readonly HealthStatusRegistry _health;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _failing;
    private Task _probe = Task.CompletedTask;

    public MonitoredJobStore(IJobStore inner, HealthStatusRegistry health, ILogger logger)
    {
        _inner = inner;
        _health = health;
        _logger = logger;
    }

    public string Kind => _inner.Kind;

    public bool IsDurable => _inner.IsDurable;

    // Without it the engine would see the interface's default, 1, and never overlap commits.
    public int MaxCommitsInFlight => _inner.MaxCommitsInFlight;

    /// <summary>The store being watched.</summary>
    public IJobStore Inner => _inner;

    public Task<RecoveredState> RecoverAsync(CancellationToken cancellationToken) => _inner.RecoverAsync(cancellationToken);

    public ValueTask CommitAsync(MutationBatch batch, CancellationToken cancellationToken)
    {
        ValueTask commit;
        try
        {
            commit = _inner.CommitAsync(batch, cancellationToken);
        }
        catch (Exception ex)
        {
            ReportFailure(ex);
            throw;
        }

        if (commit.IsCompletedSuccessfully)
        {
            ReportSuccess();
            return commit;
        }

        return AwaitCommitAsync(commit);
    }

    public async ValueTask<ReadOnlyMemory<byte>[]> ReadBodiesAsync(IReadOnlyList<ulong> ids, CancellationToken cancellationToken)
    {
        // A body read that fails is the store failing as surely as a commit that fails.
        ReadOnlyMemory<byte>[] bodies;
        try
        {
            bodies = await _inner.ReadBodiesAsync(ids, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReportFailure(ex);
            throw;
        }

        ReportSuccess();
        return bodies;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _probe.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The probe ends by cancellation.
        }

        _stopping.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask AwaitCommitAsync(ValueTask commit)
    {
        try
        {
            await commit.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReportFailure(ex);
            throw;
        }

        ReportSuccess();
    }

    private void ReportSuccess()
    {
        // One volatile read on the hot path; the registry is touched only on a change.
        if (Volatile.Read(ref _failing) == 1 && Interlocked.Exchange(ref _failing, 0) == 1)
        {
            _health.SetStatus(ServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
            StorageLog.StorageRecovered(_logger);
        }
    }

    private void ReportFailure(Exception exception)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            _health.SetStatus(ServiceName, HealthCheckResponse.Types.ServingStatus.NotServing);
            StorageLog.StorageFailing(_logger, exception);
            if (!_stopping.IsCancellationRequested)
            {
                _probe = Task.Run(ProbeAsync);
            }
        }
    }

    private async Task ProbeAsync()
    {
        var token = _stopping.Token;
        while (Volatile.Read(ref _failing) == 1 && !token.IsCancellationRequested)
        {
            await Task.Delay(ProbeInterval, token).ConfigureAwait(false);
            try
            {
                await _inner.ReadBodiesAsync(ProbeIds, token).ConfigureAwait(false);
                ReportSuccess();
            }
            catch (Exception ex) when (ex is StorageUnavailableException or ObjectDisposedException)
            {
                // Still down; the next turn tries again.
            }
        }
    }
}
