using System.Diagnostics;

namespace Chronoq.Core.Telemetry;

/// <summary>
/// One storage commit being measured: created by <see cref="EngineMetrics.StartCommit"/>, it records
/// the batch size and latency and ends the commit's span when disposed. A struct, so measuring costs
/// no allocation on the engine thread.
/// </summary>
public readonly struct CommitMeasurement : IDisposable, IEquatable<CommitMeasurement>
{
    private readonly long _startedAt;
    private readonly int _mutations;
    private readonly Activity? _activity;

    internal CommitMeasurement(long startedAt, int mutations, Activity? activity)
    {
        _startedAt = startedAt;
        _mutations = mutations;
        _activity = activity;
    }

    /// <summary>Records the commit's size and elapsed time and ends its span.</summary>
    public void Dispose()
    {
        if (_startedAt == 0)
        {
            return;
        }

        EngineMetrics.RecordCommit(_mutations, Stopwatch.GetElapsedTime(_startedAt));
        if (_activity is not null)
        {
            // Stopping a span makes its parent current. The engine keeps a commit's span current
            // only while it calls the store (commits overlap and end in other turns), so what is
            // current now stays so; used as `using var`, the span itself is current and its
            // parent follows it as usual.
            var current = Activity.Current;
            _activity.Dispose();
            if (!ReferenceEquals(current, _activity))
            {
                Activity.Current = current;
            }
        }
    }

    /// <inheritdoc/>
    public bool Equals(CommitMeasurement other) => _startedAt == other._startedAt && _mutations == other._mutations && ReferenceEquals(_activity, other._activity);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CommitMeasurement other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_startedAt, _mutations);

    /// <summary>Equality by value.</summary>
    public static bool operator ==(CommitMeasurement left, CommitMeasurement right) => left.Equals(right);

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(CommitMeasurement left, CommitMeasurement right) => !left.Equals(right);
}
