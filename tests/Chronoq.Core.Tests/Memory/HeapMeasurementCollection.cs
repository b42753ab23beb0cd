namespace Chronoq.Core.Tests.Memory;

/// <summary>
/// Heap measurements run alone: <c>GC.GetTotalMemory</c> counts every thread's allocations, so a
/// test class running in parallel inflates the figure (136 B a job instead of 91 B was seen).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "heap measurement";
}
