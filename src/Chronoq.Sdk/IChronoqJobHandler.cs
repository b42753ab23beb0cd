namespace Chronoq.Sdk;

/// <summary>
/// Handles the jobs of a topic for a worker registered with
/// <see cref="ChronoqServiceCollectionExtensions.AddChronoqWorker{THandler, T}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, System.Text.Json.Serialization.Metadata.JsonTypeInfo{T}, ChronoqWorkerOptions?)"/>.
/// Resolved from a fresh DI scope per job. Return normally and the worker deletes the job;
/// throw and it is released for a retry with backoff, or buried after
/// <see cref="ChronoqWorkerOptions.MaxAttempts"/>. A handler may also settle the job itself
/// through <see cref="ReservedJob{T}"/>; the worker then leaves it alone.
/// </summary>
/// <typeparam name="T">The job body's type.</typeparam>
public interface IChronoqJobHandler<T>
{
    /// <summary>Handles one job. <paramref name="cancellationToken"/> fires when shutdown runs out of patience (<see cref="ChronoqWorkerOptions.ShutdownTimeout"/>).</summary>
    Task HandleAsync(ReservedJob<T> job, CancellationToken cancellationToken);
}
