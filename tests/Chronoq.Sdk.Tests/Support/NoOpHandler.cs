namespace Chronoq.Sdk.Tests.Support;

/// <summary>A handler that does nothing (the job is then deleted).</summary>
internal sealed class NoOpHandler : IChronoqJobHandler<OrderPlaced>
{
    public Task HandleAsync(ReservedJob<OrderPlaced> job, CancellationToken cancellationToken) => Task.CompletedTask;
}
