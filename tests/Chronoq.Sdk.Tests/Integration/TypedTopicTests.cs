using Chronoq.Sdk.Tests.Support;

namespace Chronoq.Sdk.Tests.Integration;

[Collection(ServerCollection.Name)]
public sealed class TypedTopicTests(ServerFixture fixture) : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task Topic_SourceGeneratedContext_RoundTripsTheValue()
    {
        await using var client = fixture.CreateClient();
        var orders = client.Topic(TestTopics.Unique("typed"), SdkTestJsonContext.Default.OrderPlaced);
        var sent = new OrderPlaced("o-17", 12.50m, ["book", "pen"]);

        var put = await orders.PutAsync(sent, cancellationToken: _timeout.Token);
        var received = await orders.ReserveOneAsync(TimeSpan.FromSeconds(5), _timeout.Token);

        Assert.NotNull(received);
        Assert.Equal(put.Id, received.Id);
        Assert.Equal(sent.OrderId, received.Value.OrderId);
        Assert.Equal(sent.Amount, received.Value.Amount);
        Assert.Equal(sent.Items, received.Value.Items);
        Assert.Contains("\"orderId\"", System.Text.Encoding.UTF8.GetString(received.Handle.Body.Span), StringComparison.Ordinal);
        await received.DeleteAsync(_timeout.Token);
    }

    [Fact]
    public async Task Topic_ReflectionJson_ReservesTypedValuesFromTheStream()
    {
        await using var client = fixture.CreateClient();
        var orders = client.Topic<OrderPlaced>(TestTopics.Unique("typed-stream"));
        await orders.PutAsync(new OrderPlaced("o-1", 1m, []), cancellationToken: _timeout.Token);

        await foreach (var job in orders.ReserveAsync(cancellationToken: _timeout.Token))
        {
            Assert.Equal("o-1", job.Value.OrderId);
            await job.DeleteAsync(_timeout.Token);
            break;
        }
    }
}
