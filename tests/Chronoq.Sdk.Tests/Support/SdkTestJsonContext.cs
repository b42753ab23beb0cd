using System.Text.Json.Serialization;

namespace Chronoq.Sdk.Tests.Support;

/// <summary>Source-generated JSON for the test bodies: proves the JsonTypeInfo overloads work without reflection.</summary>
[JsonSerializable(typeof(OrderPlaced))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SdkTestJsonContext : JsonSerializerContext
{
}
