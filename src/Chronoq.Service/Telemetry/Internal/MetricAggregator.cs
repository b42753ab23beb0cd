using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Chronoq.Service.Telemetry.Internal;

/// <summary>
/// Listens to the instruments of the named meters and keeps their values for the /metrics
/// endpoint: a <see cref="MeterListener"/> beside (not instead of) the OpenTelemetry SDK's own.
/// </summary>
internal sealed class MetricAggregator : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _meters;
    private readonly ConcurrentDictionary<Instrument, InstrumentAggregate> _instruments = new();
    private readonly Lock _collectGate = new();

    public MetricAggregator(IEnumerable<string> meterNames)
    {
        _meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meters.Contains(instrument.Meter.Name))
            {
                var aggregate = _instruments.GetOrAdd(instrument, static i => new InstrumentAggregate(i));
                listener.EnableMeasurementEvents(instrument, aggregate);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentAggregate? _);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Observes the observable instruments now and returns every instrument's series, ordered by name.</summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        lock (_collectGate)
        {
            foreach (var aggregate in _instruments.Values)
            {
                aggregate.BeginObservation();
            }

            _listener.RecordObservableInstruments();
            return _instruments.Values
                .Select(static aggregate => aggregate.Snapshot())
                .OrderBy(static family => family.Name, StringComparer.Ordinal)
                .ToList();
        }
    }

    public void Dispose() => _listener.Dispose();
}
