using System.Text.Json.Serialization;

namespace OrderTimeout;

/// <summary>Source-generated JSON for the example's job bodies.</summary>
[JsonSerializable(typeof(OrderExpiry))]
internal sealed partial class ExampleJsonContext : JsonSerializerContext
{
}
