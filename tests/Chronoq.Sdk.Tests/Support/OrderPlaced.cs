namespace Chronoq.Sdk.Tests.Support;

/// <summary>A typed job body for the typed-topic and worker tests.</summary>
public sealed record OrderPlaced(string OrderId, decimal Amount, IReadOnlyList<string> Items);
