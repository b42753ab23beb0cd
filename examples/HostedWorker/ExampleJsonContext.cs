using System.Text.Json.Serialization;

namespace HostedWorker;

/// <summary>Source-generated JSON for the example's job bodies.</summary>
[JsonSerializable(typeof(SendEmail))]
internal sealed partial class ExampleJsonContext : JsonSerializerContext
{
}
