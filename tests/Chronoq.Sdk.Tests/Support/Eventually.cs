namespace Chronoq.Sdk.Tests.Support;

/// <summary>Polls a condition against a real server until it holds or the time runs out (then the test fails).</summary>
public static class Eventually
{
    public static async Task<T> MatchAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        using var limit = new CancellationTokenSource(timeout);
        var last = default(T);
        while (!limit.IsCancellationRequested)
        {
            last = await probe();
            if (condition(last))
            {
                return last;
            }

            // Polling a real server over loopback: 20 ms keeps the tests quick without flooding it.
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }

        throw new Xunit.Sdk.XunitException($"Timed out after {timeout} waiting for {what}; last seen: {last}");
    }
}
