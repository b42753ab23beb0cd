using BenchmarkDotNet.Attributes;
using Chronoq.Core.Internal;

namespace Chronoq.Benchmarks.Wheel;

/// <summary>
/// The timing wheel alone: schedule then cancel, and schedule then fire, over a batch of timers
/// spread like real delays (most within minutes, some days ahead). Reported per timer.
/// </summary>
[MemoryDiagnoser]
public class TimingWheelBenchmarks
{
    private const int Timers = 100_000;
    private TimingWheel _wheel = null!;
    private long[] _delays = null!;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        _now = 1_000_000;
        _wheel = new TimingWheel(_now, jobCapacity: Timers);
        var random = new Random(42);
        _delays = new long[Timers];
        for (var i = 0; i < Timers; i++)
        {
            // 90 % within 10 minutes, 10 % up to 3 days: the shape of retries, timeouts and reminders.
            _delays[i] = random.Next(10) < 9 ? random.Next(1, 600_000) : random.NextInt64(1, 3 * 86_400_000L);
        }
    }

    [Benchmark(OperationsPerInvoke = Timers)]
    public int ScheduleCancel()
    {
        for (var i = 0; i < Timers; i++)
        {
            _wheel.Schedule(i, _now + _delays[i]);
        }

        for (var i = 0; i < Timers; i++)
        {
            _wheel.Cancel(i);
        }

        return _wheel.Count;
    }

    [Benchmark(OperationsPerInvoke = Timers)]
    public int ScheduleFire()
    {
        for (var i = 0; i < Timers; i++)
        {
            _wheel.Schedule(i, _now + 1 + (_delays[i] % 1000));
        }

        var fired = 0;
        for (var step = 0; step < 1000; step += 10)
        {
            _now += 10;
            _wheel.Advance(_now);
            while (_wheel.TryTakeDue(out _))
            {
                fired++;
            }
        }

        return fired;
    }
}
