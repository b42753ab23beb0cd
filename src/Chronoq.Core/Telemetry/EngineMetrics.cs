using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chronoq.Core.Telemetry;

/// <summary>
/// The engine's instruments, on the meter <see cref="ChronoqInstrumentation.MeterName"/>, named in
/// the OpenTelemetry style (dotted, unit in the instrument, not in the name) with explicit histogram
/// buckets. Gauges report the last published snapshot: the engine's state belongs to its one thread,
/// so the host publishes <see cref="PublishTopics"/> (from GetTopicStats) and the engine loop
/// <see cref="PublishWheelSize"/>, and collection never reaches into engine state. One engine per
/// process is assumed: the instruments are process-wide, as a meter is.
/// </summary>
public static class EngineMetrics
{
    /// <summary>The tag naming a job's topic.</summary>
    public const string TopicTag = "chronoq.topic";

    /// <summary>The tag naming a job state: <c>ready</c>, <c>delayed</c>, <c>reserved</c> or <c>buried</c>.</summary>
    public const string StateTag = "chronoq.job.state";

    private static readonly Meter Meter = new(ChronoqInstrumentation.MeterName, ChronoqInstrumentation.Version);

    // Powers of two up to twice MaxCommandsPerBatch's default (4096): group commit sizes spread over
    // orders of magnitude, and a doubling step keeps the bucket count small at every scale.
    private static readonly long[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

    // A PostgreSQL commit on a LAN takes 0.5–5 ms when idle; the upper buckets catch fsync stalls and
    // the bounded retry wait (CommitTimeout, 5 s by default).
    private static readonly double[] CommitSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // The target is a p99 lateness in single-digit milliseconds, so the buckets are fine below 10 ms;
    // the tail reaches a minute, where a job sat ready with no consumer.
    private static readonly double[] LatenessSecondsBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly Histogram<long> CommitBatchSize = Meter.CreateHistogram(
        "chronoq.storage.commit.batch_size", "{mutation}", "Mutation records made durable per storage commit.", null,
        new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchSizeBuckets });

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram(
        "chronoq.storage.commit.duration", "s", "Time one storage commit took, retries included.", null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitSecondsBuckets });

    private static readonly Histogram<double> Lateness = Meter.CreateHistogram(
        "chronoq.jobs.lateness", "s", "Delivery time minus the time the job became due (ready).", null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = LatenessSecondsBuckets });

    private static readonly Counter<long> Buried = Meter.CreateCounter<long>(
        "chronoq.jobs.buried", "{job}", "Jobs buried by their consumers.");

    private static readonly Counter<long> BodyReads = Meter.CreateCounter<long>(
        "chronoq.body_cache.reads", "{read}", "Store round trips reading dropped job bodies back (one per engine turn that needed any).");

    private static readonly Counter<long> BodiesRead = Meter.CreateCounter<long>(
        "chronoq.body_cache.bodies_read", "{body}", "Job bodies read back from the store for a delivery or peek.");

    private static TopicStats[] s_topics = [];
    private static long s_wheelSize = -1;
    private static long s_bodyCacheBytes = -1;

    static EngineMetrics()
    {
        Meter.CreateObservableGauge("chronoq.jobs", ObserveJobs, "{job}", "Live jobs by topic and state.");
        Meter.CreateObservableGauge("chronoq.reservers.waiting", ObserveWaiting, "{reserver}", "Reservers (streams with a free slot, ReserveOne calls) waiting on a topic.");
        Meter.CreateObservableGauge("chronoq.timer_wheel.size", ObserveWheel, "{timer}", "Timers armed in the timing wheel: one per topic with delayed jobs, one per reserved job (its TTR), pauses, reserve timeouts.");
        Meter.CreateObservableGauge("chronoq.body_cache.size", ObserveBodyCache, "By", "Bytes of job bodies held in memory (Chronoq:Storage:BodyCacheBytes bounds it in durable mode).");
        Meter.CreateObservableCounter("chronoq.jobs.put", static () => ObserveTotals(static t => t.TotalPuts), "{job}", "Jobs put, by topic.");
        Meter.CreateObservableCounter("chronoq.jobs.deleted", static () => ObserveTotals(static t => t.TotalDeletes), "{job}", "Jobs deleted, by topic.");
        Meter.CreateObservableCounter("chronoq.jobs.timed_out", static () => ObserveTotals(static t => t.TotalTimeouts), "{job}", "Reservations whose TTR ran out, by topic.");
    }

    /// <summary>
    /// Publishes the per-topic counters the gauges and the put/delete/timeout counters report until
    /// the next call. Called by the host with fresh GetTopicStats results before each collection.
    /// </summary>
    public static void PublishTopics(IReadOnlyCollection<TopicStats> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        Volatile.Write(ref s_topics, topics.ToArray());
    }

    /// <summary>Publishes how many timers the wheel holds; called by the engine loop once per turn (a plain store).</summary>
    public static void PublishWheelSize(int timers) => Volatile.Write(ref s_wheelSize, timers);

    /// <summary>Publishes the bytes of bodies held in memory; called by the engine loop once per turn (a plain store).</summary>
    public static void PublishBodyCacheSize(long bytes) => Volatile.Write(ref s_bodyCacheBytes, bytes);

    /// <summary>Records one store round trip that read <paramref name="bodies"/> dropped bodies back.</summary>
    public static void RecordBodyRead(int bodies)
    {
        BodyReads.Add(1);
        BodiesRead.Add(bodies);
    }

    /// <summary>Records one job buried when <paramref name="buried"/> (the Bury was made durable); nothing otherwise.</summary>
    public static void RecordBuryIf(bool buried)
    {
        if (buried)
        {
            Buried.Add(1);
        }
    }

    /// <summary>Records a delivery <paramref name="latenessMs"/> milliseconds after the job became ready; negative (reserved early by id) is not lateness and is skipped.</summary>
    public static void RecordLateness(string topic, long latenessMs)
    {
        if (latenessMs >= 0 && Lateness.Enabled)
        {
            Lateness.Record(latenessMs / 1000.0, new KeyValuePair<string, object?>(TopicTag, topic));
        }
    }

    /// <summary>Records a finished storage commit of <paramref name="mutations"/> records.</summary>
    public static void RecordCommit(int mutations, TimeSpan elapsed)
    {
        CommitBatchSize.Record(mutations);
        CommitDuration.Record(elapsed.TotalSeconds);
    }

    /// <summary>
    /// Starts measuring a storage commit of <paramref name="mutations"/> records, with a span named
    /// <c>chronoq.storage.commit</c>: <c>using var commit = EngineMetrics.StartCommit(n);</c>.
    /// </summary>
    public static CommitMeasurement StartCommit(int mutations)
    {
        var activity = ChronoqInstrumentation.ActivitySource.StartActivity("chronoq.storage.commit", ActivityKind.Internal);
        activity?.SetTag("chronoq.storage.commit.batch_size", mutations);
        return new CommitMeasurement(Stopwatch.GetTimestamp(), mutations, activity);
    }

    private static IEnumerable<Measurement<long>> ObserveJobs()
    {
        foreach (var topic in Volatile.Read(ref s_topics))
        {
            yield return Gauge(topic.Ready, topic.Name, "ready");
            yield return Gauge(topic.Delayed, topic.Name, "delayed");
            yield return Gauge(topic.Reserved, topic.Name, "reserved");
            yield return Gauge(topic.Buried, topic.Name, "buried");
        }
    }

    private static IEnumerable<Measurement<long>> ObserveWaiting()
    {
        foreach (var topic in Volatile.Read(ref s_topics))
        {
            yield return new Measurement<long>((long)topic.Waiting, new KeyValuePair<string, object?>(TopicTag, topic.Name));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveWheel()
    {
        var size = Volatile.Read(ref s_wheelSize);
        if (size >= 0)
        {
            yield return new Measurement<long>(size);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveBodyCache()
    {
        var bytes = Volatile.Read(ref s_bodyCacheBytes);
        if (bytes >= 0)
        {
            yield return new Measurement<long>(bytes);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveTotals(Func<TopicStats, ulong> total)
    {
        foreach (var topic in Volatile.Read(ref s_topics))
        {
            yield return new Measurement<long>((long)total(topic), new KeyValuePair<string, object?>(TopicTag, topic.Name));
        }
    }

    private static Measurement<long> Gauge(ulong value, string topic, string state) =>
        new((long)value, new KeyValuePair<string, object?>(TopicTag, topic), new KeyValuePair<string, object?>(StateTag, state));
}
