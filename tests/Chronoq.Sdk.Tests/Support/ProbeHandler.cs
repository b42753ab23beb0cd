namespace Chronoq.Sdk.Tests.Support;

/// <summary>A handler that defers to the test's <see cref="JobProbe"/>.</summary>
internal sealed class ProbeHandler(JobProbe probe) : IChronoqJobHandler<OrderPlaced>
{
    public Task HandleAsync(ReservedJob<OrderPlaced> job, CancellationToken cancellationToken) => probe.InvokeAsync(job, cancellationToken);
}
