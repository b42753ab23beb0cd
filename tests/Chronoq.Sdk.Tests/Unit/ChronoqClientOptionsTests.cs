namespace Chronoq.Sdk.Tests.Unit;

public sealed class ChronoqClientOptionsTests
{
    [Fact]
    public void Constructor_InvalidSetting_ThrowsNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => new ChronoqClient(ChronoqClientOptions.Default with { MaxBatchSize = 0 }));

        Assert.Contains("ChronoqClientOptions.MaxBatchSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NotHttpAddress_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ChronoqClient(ChronoqClientOptions.Default with { Address = new Uri("ftp://127.0.0.1:1") }));
    }

    [Fact]
    public async Task PutAsync_InvalidTopic_FailsBeforeSendingWithInvalidArgument()
    {
        await using var client = new ChronoqClient("http://127.0.0.1:1");

        var error = await Assert.ThrowsAsync<Chronoq.Protocol.Grpc.RpcException>(() => client.PutAsync("bad topic!", new byte[] { 1 }));

        Assert.Equal(Chronoq.Protocol.Grpc.StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("topic", error.Detail, StringComparison.Ordinal);
        Assert.Equal(0, client.PutBatchesSent);
    }

    [Fact]
    public void WorkerOptions_InvalidConcurrency_ThrowsNamingTheSetting()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();

        var error = Assert.Throws<ArgumentException>(() =>
            services.AddChronoqWorker<Support.NoOpHandler, Support.OrderPlaced>("orders", Support.SdkTestJsonContext.Default.OrderPlaced, ChronoqWorkerOptions.Default with { Concurrency = 0 }));

        Assert.Contains("ChronoqWorkerOptions.Concurrency", error.Message, StringComparison.Ordinal);
    }
}
