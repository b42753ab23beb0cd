namespace Chronoq.Benchmarks.Sdk;

/// <summary>The body of a benchmark job.</summary>
public sealed record BenchmarkJob(int Producer, int Sequence, string Padding);
