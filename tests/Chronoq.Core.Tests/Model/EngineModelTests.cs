using Chronoq.Core.Tests.Support;
using Chronoq.Testing;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Chronoq.Core.Tests.Model;

/// <summary>
/// Runs long random command sequences against the engine and a naive reference model (lists and
/// linear scans) and compares every observable result, including after the clock moves.
/// </summary>
public sealed class EngineModelTests
{
    private static readonly string[] Topics = { "a", "b" };

    private static Gen<ModelOp> OpGen()
    {
        var kind = Gen.Frequency(
            (12, Gen.Constant(ModelOpKind.Put)),
            (10, Gen.Constant(ModelOpKind.Poll)),
            (6, Gen.Constant(ModelOpKind.Delete)),
            (5, Gen.Constant(ModelOpKind.Release)),
            (4, Gen.Constant(ModelOpKind.Bury)),
            (3, Gen.Constant(ModelOpKind.Kick)),
            (3, Gen.Constant(ModelOpKind.KickJob)),
            (3, Gen.Constant(ModelOpKind.Touch)),
            (8, Gen.Constant(ModelOpKind.Advance)),
            (4, Gen.Constant(ModelOpKind.Peek)),
            (3, Gen.Constant(ModelOpKind.PeekNext)),
            (2, Gen.Constant(ModelOpKind.DeleteByKey)),
            (2, Gen.Constant(ModelOpKind.ReserveJob)));
        var n = Gen.Choose(0, 1 << 20);
        return kind.SelectMany(k => n.SelectMany(a => n.SelectMany(b => n.SelectMany(c => n.Select(d => new ModelOp(k, a, b, c, d))))));
    }

    [Fact]
    public void RandomSequences_EngineMatchesModel()
    {
        var ops = Gen.Choose(100, 400).SelectMany(len => Gen.ArrayOf(OpGen(), len));
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(40)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261123UL, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
        Check.One(config, Prop.ForAll(Arb.From(ops), sequence => Run(sequence).Wait(TimeSpan.FromMinutes(2))));
    }

    private static async Task Run(ModelOp[] sequence)
    {
        var clock = new ManualTimeProvider();
        await using var h = await EngineHarness.StartAsync(clock: clock);
        var start = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var model = new Model(start);
        for (var step = 0; step < sequence.Length; step++)
        {
            var op = sequence[step];
            try
            {
                await Apply(h, model, op);
            }
            catch (Exception e) when (e is not TimeoutException)
            {
                throw new InvalidOperationException($"step {step} ({op}) failed: {e.Message}", e);
            }
        }

        await CompareStats(h, model);
    }

    private static ModelJob? PickJob(Model model, int n, out ulong id)
    {
        if (model.Jobs.Count == 0 || n % 10 == 0)
        {
            id = model.NextId + 100 + (ulong)(n % 7);
            return null;
        }

        var job = model.Jobs[n % model.Jobs.Count];
        id = job.Id;
        return job.Live ? job : null;
    }

    private static ulong PickToken(ModelJob? job, int n) => (n % 4) switch
    {
        0 => 0,
        1 => job?.Token ?? 1,
        2 => (job?.Token ?? 0) + 1_000_000,
        _ => job?.LastToken ?? 0,
    };

    private static async Task Apply(EngineHarness h, Model model, ModelOp op)
    {
        var e = h.Engine;
        switch (op.Kind)
        {
            case ModelOpKind.Put:
            {
                var topic = Topics[op.A % 2];
                var priority = (uint)(op.B % 4);
                TimeSpan? delay = op.C % 3 == 0 ? null : TimeSpan.FromMilliseconds(1 + (op.C % 5000));
                var ttr = TimeSpan.FromMilliseconds(new[] { 1000, 2000, 5000 }[op.D % 3]);
                var key = op.D % 5 == 4 ? null : "k" + (op.D % 4);
                var actual = await EngineHarness.Wait(e.PutAsync(new JobSpec { Topic = topic, Priority = priority, Delay = delay, Ttr = ttr, Key = key }));
                var expected = model.Put(topic, priority, (long)(delay?.TotalMilliseconds ?? 0), (long)ttr.TotalMilliseconds, key);
                Assert.Equal(expected, actual.Value);
                break;
            }

            case ModelOpKind.Poll:
            {
                var topics = (op.A % 3) switch { 0 => new[] { "a" }, 1 => new[] { "b" }, _ => Topics };
                var actual = (await EngineHarness.Wait(e.ReserveOneAsync(topics, TimeSpan.Zero))).Value;
                var expected = model.BestReady(topics);
                Assert.Equal(expected?.Id, actual?.Job.Id);
                if (expected is not null)
                {
                    model.Reserve(expected, actual!.Value.Reservation);
                    Assert.Equal(model.At(expected.Deadline), actual.Value.Deadline);
                    AssertSame(expected, actual.Value.Job, model);
                }

                break;
            }

            case ModelOpKind.Delete:
            {
                var job = PickJob(model, op.A, out var id);
                var token = PickToken(job, op.B);
                var actual = await EngineHarness.Wait(e.DeleteAsync(id, token));
                Assert.Equal(model.Delete(job, token), actual.Code);
                break;
            }

            case ModelOpKind.Release:
            {
                var job = PickJob(model, op.A, out var id);
                var token = PickToken(job, op.B);
                uint? priority = op.C % 2 == 0 ? null : (uint)(op.C % 4);
                var delay = op.D % 2 == 0 ? 0 : 1 + (op.D % 3000);
                var actual = await EngineHarness.Wait(e.ReleaseAsync(id, token, priority, TimeSpan.FromMilliseconds(delay)));
                Assert.Equal(model.Release(job, token, priority, delay), actual.Code);
                break;
            }

            case ModelOpKind.Bury:
            {
                var job = PickJob(model, op.A, out var id);
                var token = PickToken(job, op.B);
                uint? priority = op.C % 2 == 0 ? null : (uint)(op.C % 4);
                var actual = await EngineHarness.Wait(e.BuryAsync(id, token, priority));
                Assert.Equal(model.Bury(job, token, priority), actual.Code);
                break;
            }

            case ModelOpKind.Kick:
            {
                var topic = Topics[op.A % 2];
                var bound = (uint)(op.B % 4);
                var actual = await EngineHarness.Wait(e.KickAsync(topic, bound));
                Assert.Equal(model.Kick(topic, bound), actual.Value);
                break;
            }

            case ModelOpKind.KickJob:
            {
                var job = PickJob(model, op.A, out var id);
                var actual = await EngineHarness.Wait(e.KickJobAsync(id));
                Assert.Equal(model.KickJob(job), actual.Code);
                break;
            }

            case ModelOpKind.Touch:
            {
                var job = PickJob(model, op.A, out var id);
                var token = PickToken(job, op.B);
                var actual = await EngineHarness.Wait(e.TouchAsync(id, token));
                var expected = model.Touch(job, token);
                Assert.Equal(expected, actual.Status.Code);
                if (expected == ErrorCode.Ok)
                {
                    Assert.Equal(model.At(job!.Deadline), actual.Value);
                }

                break;
            }

            case ModelOpKind.Advance:
            {
                var ms = (op.A % 4) switch { 0 => 0, 1 => op.B % 10, 2 => op.B % 1500, _ => op.B % 6000 };
                h.Clock.Advance(TimeSpan.FromMilliseconds(ms));
                model.Advance(ms);
                await CompareStats(h, model);
                break;
            }

            case ModelOpKind.Peek:
            {
                var job = PickJob(model, op.A, out var id);
                var actual = await EngineHarness.Wait(e.PeekAsync(id));
                if (job is null)
                {
                    Assert.Equal(ErrorCode.NotFound, actual.Status.Code);
                }
                else
                {
                    AssertSame(job, actual.Value, model);
                }

                break;
            }

            case ModelOpKind.PeekNext:
            {
                var topic = Topics[op.A % 2];
                var state = new[] { JobState.Ready, JobState.Delayed, JobState.Buried }[op.B % 3];
                var actual = await EngineHarness.Wait(e.PeekNextAsync(topic, state));
                var expected = model.PeekNext(topic, state);
                Assert.Equal(expected?.Id, actual.IsOk ? actual.Value.Id : null);
                Assert.Equal(expected is null ? ErrorCode.NotFound : ErrorCode.Ok, actual.Status.Code);
                break;
            }

            case ModelOpKind.DeleteByKey:
            {
                var topic = Topics[op.A % 2];
                var key = "k" + (op.B % 4);
                var actual = await EngineHarness.Wait(e.DeleteByKeyAsync(topic, key));
                Assert.Equal(model.DeleteByKey(topic, key), actual.Code);
                break;
            }

            case ModelOpKind.ReserveJob:
            {
                var job = PickJob(model, op.A, out var id);
                var actual = await EngineHarness.Wait(e.ReserveJobAsync(id));
                var expected = job is null ? ErrorCode.NotFound : job.State == JobState.Reserved ? ErrorCode.FailedPrecondition : ErrorCode.Ok;
                Assert.Equal(expected, actual.Status.Code);
                if (expected == ErrorCode.Ok)
                {
                    model.Reserve(job!, actual.Value.Reservation);
                    AssertSame(job!, actual.Value.Job, model);
                }

                break;
            }
        }
    }

    private static void AssertSame(ModelJob expected, JobInfo actual, Model model)
    {
        Assert.Equal(
            (expected.Id, expected.Topic, expected.State, expected.Priority, TimeSpan.FromMilliseconds(expected.TtrMs), expected.Key),
            (actual.Id, actual.Topic, actual.State, actual.Priority, actual.Ttr, actual.Key));
        Assert.Equal(
            (expected.Reserves, expected.Timeouts, expected.Releases, expected.Buries, expected.Kicks),
            (actual.Reserves, actual.Timeouts, actual.Releases, actual.Buries, actual.Kicks));
        if (expected.State == JobState.Delayed)
        {
            Assert.Equal(model.At(expected.ReadyAt), actual.ReadyAt);
        }

        Assert.Equal(expected.State == JobState.Reserved ? model.At(expected.Deadline) : null, actual.Deadline);
    }

    private static async Task CompareStats(EngineHarness h, Model model)
    {
        foreach (var topic in Topics)
        {
            var s = await h.Stats(topic);
            Assert.Equal(model.Stats(topic), (s.Ready, s.Delayed, s.Reserved, s.Buried, s.TotalPuts, s.TotalDeletes, s.TotalTimeouts));
        }
    }

    /// <summary>The reference model: a list of jobs and linear scans.</summary>
    private sealed class Model
    {
        private readonly long _start;
        private long _now;
        private long _burySeq;
        private readonly Dictionary<string, (ulong Puts, ulong Deletes, ulong Timeouts)> _totals = new();

        public Model(long start) => _start = start;

        public List<ModelJob> Jobs { get; } = new();
        public ulong NextId { get; private set; } = 1;

        public DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(_start + ms);

        private IEnumerable<ModelJob> Live => Jobs.Where(j => j.Live);

        private void Count(string topic, int puts, int deletes, int timeouts)
        {
            var t = _totals.GetValueOrDefault(topic);
            _totals[topic] = (t.Puts + (ulong)puts, t.Deletes + (ulong)deletes, t.Timeouts + (ulong)timeouts);
        }

        public PutResult Put(string topic, uint priority, long delay, long ttr, string? key)
        {
            var existing = key is null ? null : Live.FirstOrDefault(j => j.Topic == topic && j.Key == key);
            if (existing is not null)
            {
                return new PutResult(existing.Id, false);
            }

            var job = new ModelJob
            {
                Id = NextId++, Topic = topic, Priority = priority, TtrMs = ttr, Key = key,
                State = delay > 0 ? JobState.Delayed : JobState.Ready, ReadyAt = _now + delay,
            };
            Jobs.Add(job);
            Count(topic, 1, 0, 0);
            return new PutResult(job.Id, true);
        }

        public ModelJob? BestReady(IEnumerable<string> topics) =>
            Live.Where(j => j.State == JobState.Ready && topics.Contains(j.Topic)).OrderBy(j => j.Priority).ThenBy(j => j.Id).FirstOrDefault();

        public void Reserve(ModelJob job, ulong token)
        {
            job.State = JobState.Reserved;
            job.Reserves++;
            job.Token = token;
            job.LastToken = token;
            job.Deadline = _now + job.TtrMs;
        }

        private static ErrorCode CheckHolder(ModelJob? job, ulong token) =>
            job is null ? ErrorCode.NotFound
            : job.State != JobState.Reserved || token == 0 || token != job.Token ? ErrorCode.FailedPrecondition
            : ErrorCode.Ok;

        public ErrorCode Delete(ModelJob? job, ulong token)
        {
            if (job is null)
            {
                return ErrorCode.NotFound;
            }

            if ((job.State == JobState.Reserved || token != 0) && CheckHolder(job, token) != ErrorCode.Ok)
            {
                return ErrorCode.FailedPrecondition;
            }

            job.Live = false;
            Count(job.Topic, 0, 1, 0);
            return ErrorCode.Ok;
        }

        public ErrorCode DeleteByKey(string topic, string key)
        {
            var job = Live.FirstOrDefault(j => j.Topic == topic && j.Key == key);
            if (job is null)
            {
                return ErrorCode.NotFound;
            }

            return job.State == JobState.Reserved ? ErrorCode.FailedPrecondition : Delete(job, 0);
        }

        public ErrorCode Release(ModelJob? job, ulong token, uint? priority, long delay)
        {
            var status = CheckHolder(job, token);
            if (status != ErrorCode.Ok)
            {
                return status;
            }

            job!.Releases++;
            job.Token = 0;
            job.Priority = priority ?? job.Priority;
            job.ReadyAt = _now + delay;
            job.State = delay > 0 ? JobState.Delayed : JobState.Ready;
            return ErrorCode.Ok;
        }

        public ErrorCode Bury(ModelJob? job, ulong token, uint? priority)
        {
            var status = CheckHolder(job, token);
            if (status != ErrorCode.Ok)
            {
                return status;
            }

            job!.Buries++;
            job.Token = 0;
            job.Priority = priority ?? job.Priority;
            job.State = JobState.Buried;
            job.BurySeq = ++_burySeq;
            return ErrorCode.Ok;
        }

        public ErrorCode Touch(ModelJob? job, ulong token)
        {
            var status = CheckHolder(job, token);
            if (status == ErrorCode.Ok)
            {
                job!.Deadline = _now + job.TtrMs;
            }

            return status;
        }

        public uint Kick(string topic, uint bound)
        {
            var buried = Live.Where(j => j.Topic == topic && j.State == JobState.Buried).OrderBy(j => j.BurySeq).ToList();
            var pick = buried.Count > 0
                ? buried
                : Live.Where(j => j.Topic == topic && j.State == JobState.Delayed).OrderBy(j => j.ReadyAt).ThenBy(j => j.Id).ToList();
            uint kicked = 0;
            foreach (var job in pick.Take((int)bound))
            {
                KickOne(job);
                kicked++;
            }

            return kicked;
        }

        public ErrorCode KickJob(ModelJob? job)
        {
            if (job is null)
            {
                return ErrorCode.NotFound;
            }

            if (job.State is not (JobState.Buried or JobState.Delayed))
            {
                return ErrorCode.FailedPrecondition;
            }

            KickOne(job);
            return ErrorCode.Ok;
        }

        private void KickOne(ModelJob job)
        {
            job.Kicks++;
            job.State = JobState.Ready;
            job.ReadyAt = _now;
        }

        public ModelJob? PeekNext(string topic, JobState state)
        {
            var jobs = Live.Where(j => j.Topic == topic && j.State == state);
            return state switch
            {
                JobState.Ready => jobs.OrderBy(j => j.Priority).ThenBy(j => j.Id).FirstOrDefault(),
                JobState.Delayed => jobs.OrderBy(j => j.ReadyAt).ThenBy(j => j.Id).FirstOrDefault(),
                _ => jobs.OrderBy(j => j.BurySeq).FirstOrDefault(),
            };
        }

        public void Advance(long ms)
        {
            _now += ms;
            foreach (var job in Live)
            {
                if (job.State == JobState.Delayed && job.ReadyAt <= _now)
                {
                    job.State = JobState.Ready;
                }
                else if (job.State == JobState.Reserved && job.Deadline <= _now)
                {
                    job.State = JobState.Ready;
                    job.Timeouts++;
                    job.Token = 0;
                    job.ReadyAt = _now;
                    Count(job.Topic, 0, 0, 1);
                }
            }
        }

        public (ulong, ulong, ulong, ulong, ulong, ulong, ulong) Stats(string topic)
        {
            var jobs = Live.Where(j => j.Topic == topic).ToList();
            var t = _totals.GetValueOrDefault(topic);
            return ((ulong)jobs.Count(j => j.State == JobState.Ready), (ulong)jobs.Count(j => j.State == JobState.Delayed),
                (ulong)jobs.Count(j => j.State == JobState.Reserved), (ulong)jobs.Count(j => j.State == JobState.Buried),
                t.Puts, t.Deletes, t.Timeouts);
        }
    }
}
