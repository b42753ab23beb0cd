using Chronoq.Protocol.V1;
using Grpc.Health.V1;

namespace Chronoq.Service.Health;

/// <summary>
/// The serving status reported by <c>grpc.health.v1.Health</c>: the server overall (service
/// <c>""</c>) and per service (<c>chronoq.v1.Chronoq</c>). Both start SERVING; once host shutdown
/// begins, everything is NOT_SERVING and stays so. Thread-safe.
/// </summary>
public sealed class HealthStatusRegistry
{
    /// <summary>The name that stands for the whole server.</summary>
    public const string OverallService = "";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HealthCheckResponse.Types.ServingStatus> _statuses = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();
    private bool _shuttingDown;

    /// <summary>Creates the registry with the server and the Chronoq service SERVING.</summary>
    public HealthStatusRegistry()
    {
        _statuses[OverallService] = HealthCheckResponse.Types.ServingStatus.Serving;
        _statuses[ChronoqReflection.Descriptor.Services[0].FullName] = HealthCheckResponse.Types.ServingStatus.Serving;
    }

    /// <summary>Sets a service's status; ignored once shutdown has begun (the server only goes down from there).</summary>
    public void SetStatus(string service, HealthCheckResponse.Types.ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate)
        {
            if (_shuttingDown || (_statuses.TryGetValue(service, out var current) && current == status))
            {
                return;
            }

            _statuses[service] = status;
            SignalLocked();
        }
    }

    /// <summary>Gets a service's status; false when the service is unknown.</summary>
    public bool TryGetStatus(string service, out HealthCheckResponse.Types.ServingStatus status)
    {
        lock (_gate)
        {
            return _statuses.TryGetValue(service, out status);
        }
    }

    /// <summary>Marks every service NOT_SERVING for good: called when the host starts stopping.</summary>
    public void BeginShutdown()
    {
        lock (_gate)
        {
            _shuttingDown = true;
            foreach (var name in _statuses.Keys.ToArray())
            {
                _statuses[name] = HealthCheckResponse.Types.ServingStatus.NotServing;
            }

            SignalLocked();
        }
    }

    /// <summary>Whether shutdown has begun.</summary>
    public bool IsShuttingDown
    {
        get
        {
            lock (_gate)
            {
                return _shuttingDown;
            }
        }
    }

    /// <summary>
    /// The status of a service (SERVICE_UNKNOWN if unknown) and a task that completes at the next
    /// change of any status — what a Watch waits on.
    /// </summary>
    public (HealthCheckResponse.Types.ServingStatus Status, Task Changed) Observe(string service)
    {
        lock (_gate)
        {
            var status = _statuses.TryGetValue(service, out var known) ? known : HealthCheckResponse.Types.ServingStatus.ServiceUnknown;
            return (status, _changed.Task);
        }
    }

    private void SignalLocked()
    {
        // One signal per change, shared by all watchers: each swaps in a fresh one after completing.
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
