namespace Chronoq.Benchmarks.Framing;

/// <summary>A burst of concurrent health Checks against a <see cref="LoopbackServerProcess"/>.</summary>
internal static class UnaryBurst
{
    public static async Task RunAsync(LoopbackServerProcess server, int concurrency)
    {
        var calls = new Task[concurrency];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = server.CheckAsync();
        }

        await Task.WhenAll(calls);
        server.Calls += concurrency;
    }
}
