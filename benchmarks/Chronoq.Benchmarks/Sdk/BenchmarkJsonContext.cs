using System.Text.Json.Serialization;

namespace Chronoq.Benchmarks.Sdk;

/// <summary>Source-generated JSON for the benchmark's bodies, as a production worker would use.</summary>
[JsonSerializable(typeof(BenchmarkJob))]
internal sealed partial class BenchmarkJsonContext : JsonSerializerContext
{
}
