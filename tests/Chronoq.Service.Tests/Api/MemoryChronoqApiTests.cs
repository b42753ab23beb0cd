namespace Chronoq.Service.Tests.Api;

/// <summary>The API contract with the embedded memory store (no connection string configured).</summary>
public sealed class MemoryChronoqApiTests : ChronoqApiContractTests
{
    protected override string ExpectedStorage => "memory";

    protected override Task<IReadOnlyDictionary<string, string?>> StorageConfigurationAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());

    [Fact]
    public void Start_NoConnectionString_WarnsThatJobsAreNotDurable()
    {
        var warning = Assert.Single(Server.Logs, log => log.EventId.Name == "MemoryStorage");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("NOT durable", warning.Message, StringComparison.Ordinal);
    }
}
