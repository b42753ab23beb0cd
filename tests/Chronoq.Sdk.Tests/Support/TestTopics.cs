namespace Chronoq.Sdk.Tests.Support;

/// <summary>Topic names no other test uses, so tests on a shared server cannot see each other's jobs.</summary>
public static class TestTopics
{
    public static string Unique(string purpose) => $"sdk-{purpose}-{Guid.NewGuid():N}";
}
