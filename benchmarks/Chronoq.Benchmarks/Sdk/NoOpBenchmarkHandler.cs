using Chronoq.Sdk;

namespace Chronoq.Benchmarks.Sdk;

/// <summary>Does nothing, so the drain measures the SDK and the server, not the work.</summary>
internal sealed class NoOpBenchmarkHandler : IChronoqJobHandler<BenchmarkJob>
{
    public Task HandleAsync(ReservedJob<BenchmarkJob> job, CancellationToken cancellationToken) => Task.CompletedTask;
}
