using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Chronoq.Core.Storage;

namespace Chronoq.Core.Tests.Engine;

/// <summary>
/// Each thread keeps one returned command as a spare. A stopped engine must not stay reachable
/// through a spare left on a thread that goes on living (a pool thread, a host's worker).
/// </summary>
public sealed class SpareCommandTests
{
    [Fact]
    public void EngineStoppedElsewhere_ItsSpareIsLetGo_WhenTheThreadUsesAnotherEngine()
    {
        using var worker = new WorkerThread();
        // The command's answer is read on the worker, so the worker keeps it as its spare; the
        // engine is then stopped from another thread, which cannot clear the worker's spare.
        var firstStore = worker.Invoke(() => UseEngine(stopOnThisThread: false));

        worker.Invoke(() => UseEngine(stopOnThisThread: true));

        Assert.False(IsAliveAfterCollection(firstStore));
    }

    [Fact]
    public void EngineStoppedOnTheThreadThatUsedIt_ItsSpareIsLetGoAtOnce()
    {
        using var worker = new WorkerThread();

        var store = worker.Invoke(() => UseEngine(stopOnThisThread: true));

        Assert.False(IsAliveAfterCollection(store));
    }

    /// <summary>Starts an engine, puts one job reading the answer on this thread, stops the engine; a weak reference to its store.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference UseEngine(bool stopOnThisThread)
    {
        var store = new MemoryJobStore();
        var starting = ChronoqEngine.StartAsync(EngineOptions.Default, store, TimeProvider.System);
        Assert.True(starting.Wait(TimeSpan.FromSeconds(20)), "the engine did not start");
        var engine = starting.Result;

        var put = engine.PutAsync(new JobSpec { Topic = "t" });
        Assert.True(SpinWait.SpinUntil(() => put.IsCompleted, TimeSpan.FromSeconds(20)), "the put was not answered");
        Assert.True(put.Result.IsOk); // read here: the command returns to its engine on this thread

        var stopping = stopOnThisThread ? engine.DisposeAsync().AsTask() : Task.Run(() => engine.DisposeAsync().AsTask());
        Assert.True(stopping.Wait(TimeSpan.FromSeconds(20)), "the engine did not stop");
        return new WeakReference(store);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool IsAliveAfterCollection(WeakReference reference)
    {
        for (var i = 0; i < 3 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return reference.IsAlive;
    }

    /// <summary>One long-lived thread that runs what it is given, so its thread-statics outlive each call.</summary>
    private sealed class WorkerThread : IDisposable
    {
        private readonly BlockingCollection<Action> _work = new();
        private readonly Thread _thread;

        public WorkerThread()
        {
            _thread = new Thread(() =>
            {
                foreach (var action in _work.GetConsumingEnumerable())
                {
                    action();
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public T Invoke<T>(Func<T> function)
        {
            T result = default!;
            Exception? failure = null;
            using var done = new ManualResetEventSlim();
            _work.Add(() =>
            {
                try
                {
                    result = function();
                }
                catch (Exception e)
                {
                    failure = e;
                }
                finally
                {
                    done.Set();
                }
            });
            Assert.True(done.Wait(TimeSpan.FromSeconds(30)), "the worker did not finish");
            return failure is null ? result : throw new InvalidOperationException("the worker failed", failure);
        }

        public void Dispose()
        {
            _work.CompleteAdding();
            _thread.Join(TimeSpan.FromSeconds(10));
            _work.Dispose();
        }
    }
}
