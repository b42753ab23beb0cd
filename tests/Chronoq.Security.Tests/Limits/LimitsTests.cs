using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk;
using Chronoq.Security.Tests.Support;
using Chronoq.Testing;
using Google.Protobuf;

namespace Chronoq.Security.Tests.Limits;

/// <summary>Each configurable limit, set low on a real loopback server and crossed.</summary>
public sealed class LimitsTests : IDisposable
{
    private const string HealthCheck = "/grpc.health.v1.Health/Check";
    private static readonly byte[] HealthRequest = RawGrpc.Frame(new Grpc.Health.V1.HealthCheckRequest());
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private CancellationToken Token => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task Put_BodyOverMaxBodyBytes_ResourceExhaustedNamingBody()
    {
        await using var server = await StartAsync(("Chronoq:Engine:MaxBodyBytes", "100"));
        await using var client = Client(server);
        await client.PutAsync("limits", new byte[100], cancellationToken: Token);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("limits", new byte[101], cancellationToken: Token));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("body", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_MessageOverMaxReceiveMessageSize_ResourceExhaustedBeforeBuffering()
    {
        await using var server = await StartAsync(("Chronoq:MaxReceiveMessageSize", "4096"));
        await using var client = Client(server);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("limits", new byte[8192], cancellationToken: Token));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("larger than max", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutBatch_OverMaxBatchItems_ResourceExhaustedAndNothingPut()
    {
        await using var server = await StartAsync(("Chronoq:Engine:MaxBatchItems", "3"));
        await using var client = Client(server);
        var jobs = Enumerable.Range(0, 4).Select(_ => new PutRequest { Topic = "batch", Body = ByteString.CopyFromUtf8("x") }).ToList();
        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutBatchAsync(jobs, Token));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0u, (await client.GetTopicStatsAsync("batch", Token)).Ready);
        Assert.Equal(3, (await client.PutBatchAsync(jobs.Take(3), Token)).Count);
    }

    [Fact]
    public async Task Put_BeyondMaxJobs_ResourceExhausted()
    {
        await using var server = await StartAsync(("Chronoq:Engine:MaxJobs", "3"));
        await using var client = Client(server);
        for (var i = 0; i < 3; i++)
        {
            await client.PutAsync("full", new byte[1], cancellationToken: Token);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("full", new byte[1], cancellationToken: Token));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task ReserveOne_MoreTopicsThanMaxTopicsPerReserve_InvalidArgumentNamingTopics()
    {
        await using var server = await StartAsync(("Chronoq:Engine:MaxTopicsPerReserve", "2"));
        using var raw = new RawGrpc(server.GrpcAddress);
        var ok = await raw.CallAsync("/chronoq.v1.Chronoq/ReserveOne", RawGrpc.Frame(new ReserveOneRequest { Topics = { "a", "b" } }), Token);
        var tooMany = await raw.CallAsync("/chronoq.v1.Chronoq/ReserveOne", RawGrpc.Frame(new ReserveOneRequest { Topics = { "a", "b", "c" } }), Token);
        Assert.Equal(0, ok.GrpcStatus);
        Assert.Equal((int)StatusCode.InvalidArgument, tooMany.GrpcStatus);
        Assert.Contains("topics", tooMany.GrpcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reserve_PrefetchOverMaxPrefetch_InvalidArgumentNamingPrefetch()
    {
        await using var server = await StartAsync(("Chronoq:Engine:MaxPrefetch", "5"));
        using var raw = new RawGrpc(server.GrpcAddress);
        var reply = await raw.CallAsync("/chronoq.v1.Chronoq/Reserve", RawGrpc.Frame(new ReserveRequest { Topics = { "a" }, Prefetch = 6 }), Token);
        Assert.Equal((int)StatusCode.InvalidArgument, reply.GrpcStatus);
        Assert.Contains("prefetch", reply.GrpcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reserve_ClientStopsReading_ServerHoldsNoMoreThanPrefetch()
    {
        await using var server = await StartAsync();
        await using var client = Client(server);
        using var stalled = new RawGrpc(server.GrpcAddress);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);

        // A reader that never reads: the stream may hold its prefetch and no more, however many jobs wait.
        var open = stalled.OpenAsync("/chronoq.v1.Chronoq/Reserve", RawGrpc.Frame(new ReserveRequest { Topics = { "stall" }, Prefetch = 10 }), stop.Token);
        await client.PutBatchAsync(Enumerable.Range(0, 200).Select(_ => new PutRequest { Topic = "stall", Body = ByteString.CopyFrom(new byte[1024]) }), Token);
        await WaitUntilAsync(async () => (await client.GetTopicStatsAsync("stall", Token)).Reserved == 10);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Token);
        var stats = await client.GetTopicStatsAsync("stall", Token);
        Assert.Equal(10u, stats.Reserved);
        Assert.Equal(190u, stats.Ready);

        // Ending the stream hands its jobs back.
        await stop.CancelAsync();
        try
        {
            using var response = await open;
        }
        catch (OperationCanceledException)
        {
        }

        await WaitUntilAsync(async () => (await client.GetTopicStatsAsync("stall", Token)).Ready == 200);
    }

    [Fact]
    public async Task Call_BeyondMaxStreamsPerConnection_WaitsForAFreeStream()
    {
        await using var server = await StartAsync(("Chronoq:Limits:MaxStreamsPerConnection", "2"));
        await using var client = Client(server);
        using var single = new RawGrpc(server.GrpcAddress, multipleConnections: false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var reserve = RawGrpc.Frame(new ReserveRequest { Topics = { "streams" } });
        var first = single.OpenAsync("/chronoq.v1.Chronoq/Reserve", reserve, stop.Token);
        var second = single.OpenAsync("/chronoq.v1.Chronoq/Reserve", reserve, Token);
        await WaitUntilAsync(async () => (await client.GetTopicStatsAsync("streams", Token)).Waiting == 2);

        // The server advertised 2 streams per connection: a third call on the connection must wait.
        var third = single.CallAsync(HealthCheck, HealthRequest, Token);
        var finished = await Task.WhenAny(third, Task.Delay(TimeSpan.FromSeconds(1), Token));
        Assert.NotSame(third, finished);

        await stop.CancelAsync();
        Assert.Equal(0, (await third).GrpcStatus);
        await client.PutAsync("streams", new byte[1], cancellationToken: Token);
        using var delivered = await second;
        Assert.Equal(System.Net.HttpStatusCode.OK, delivered.StatusCode);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
    }

    [Fact]
    public async Task Connect_BeyondMaxConnections_RefusedUntilOneCloses()
    {
        await using var server = await StartAsync(("Chronoq:Limits:MaxConnections", "2"));
        var one = new RawGrpc(server.GrpcAddress);
        using var two = new RawGrpc(server.GrpcAddress);
        using var three = new RawGrpc(server.GrpcAddress);
        Assert.Equal(0, (await one.CallAsync(HealthCheck, HealthRequest, Token)).GrpcStatus);
        Assert.Equal(0, (await two.CallAsync(HealthCheck, HealthRequest, Token)).GrpcStatus);

        await Assert.ThrowsAsync<HttpRequestException>(() => three.CallAsync(HealthCheck, HealthRequest, Token));

        one.Dispose();
        await WaitUntilAsync(async () =>
        {
            try
            {
                return (await three.CallAsync(HealthCheck, HealthRequest, Token)).GrpcStatus == 0;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });
    }

    [Fact]
    public async Task Call_HeadersOverMaxRequestHeadersTotalSize_ResourceExhaustedNamingTheSetting()
    {
        await using var server = await StartAsync(("Chronoq:Limits:MaxRequestHeadersTotalSize", "4096"));
        using var raw = new RawGrpc(server.GrpcAddress);

        // Over the configured 4096 but under Kestrel's backstop (twice that), so it reaches the pipeline.
        var reply = await raw.CallAsync(HealthCheck, HealthRequest, Token, headers => headers.Add("x-big", new string('x', 6000)));

        Assert.True(reply.GrpcStatus == (int)StatusCode.ResourceExhausted, reply.ToString());
        Assert.Contains("above Chronoq:Limits:MaxRequestHeadersTotalSize (4096)", reply.GrpcMessage, StringComparison.Ordinal);
        Assert.Equal(0, (await raw.CallAsync(HealthCheck, HealthRequest, Token, headers => headers.Add("x-small", "ok"))).GrpcStatus);
    }

    [Fact]
    public async Task Call_MoreHeadersThanMaxRequestHeaderCount_ResourceExhaustedNamingTheSetting()
    {
        await using var server = await StartAsync(("Chronoq:Limits:MaxRequestHeaderCount", "10"));
        using var raw = new RawGrpc(server.GrpcAddress);

        var reply = await raw.CallAsync(HealthCheck, HealthRequest, Token, headers =>
        {
            for (var i = 0; i < 12; i++)
            {
                headers.Add($"x-extra-{i}", "v");
            }
        });

        Assert.True(reply.GrpcStatus == (int)StatusCode.ResourceExhausted, reply.ToString());
        Assert.Contains("above Chronoq:Limits:MaxRequestHeaderCount (10)", reply.GrpcMessage, StringComparison.Ordinal);
        Assert.Equal(0, (await raw.CallAsync(HealthCheck, HealthRequest, Token)).GrpcStatus);
    }

    [Fact]
    public async Task Call_HeaderOverMaxRequestHeaderFieldSize_ResourceExhaustedNamingTheSetting()
    {
        await using var server = await StartAsync(("Chronoq:Limits:MaxRequestHeaderFieldSize", "1024"));
        using var raw = new RawGrpc(server.GrpcAddress);

        var reply = await raw.CallAsync(HealthCheck, HealthRequest, Token, headers => headers.Add("x-big", new string('x', 1500)));

        Assert.True(reply.GrpcStatus == (int)StatusCode.ResourceExhausted, reply.ToString());
        Assert.Contains("request header 'x-big' is 1505 bytes, above Chronoq:Limits:MaxRequestHeaderFieldSize (1024)", reply.GrpcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_HeaderOverKestrelBackstop_RefusedAndServerStaysUp()
    {
        // 1024 configured, so Kestrel's HPACK decoder refuses fields over 2048 itself, before the
        // pipeline: the client sees a reset, and the server must shrug it off.
        await using var server = await StartAsync(("Chronoq:Limits:MaxRequestHeaderFieldSize", "1024"));
        var refused = false;
        var outcome = "HttpRequestException";
        using (var raw = new RawGrpc(server.GrpcAddress))
        {
            try
            {
                var reply = await raw.CallAsync(HealthCheck, HealthRequest, Token, headers => headers.Add("x-big", new string('x', 20_000)));
                // Kestrel answers some of these with a plain HTTP 431 and no grpc-status: refused all the same.
                refused = reply.GrpcStatus != 0;
                outcome = reply.ToString();
            }
            catch (HttpRequestException)
            {
                refused = true;
            }
        }

        Assert.True(refused, outcome);
        using var fresh = new RawGrpc(server.GrpcAddress);
        Assert.Equal(0, (await fresh.CallAsync(HealthCheck, HealthRequest, Token, headers => headers.Add("x-small", "ok"))).GrpcStatus);
    }

    [Fact]
    public async Task Call_HeadersOverKestrelTotalBackstop_RefusedAndServerStaysUp()
    {
        await using var server = await StartAsync(("Chronoq:Limits:MaxRequestHeadersTotalSize", "4096"));
        var refused = false;
        var outcome = "HttpRequestException";
        using (var raw = new RawGrpc(server.GrpcAddress))
        {
            try
            {
                // Over twice the configured total, each field within the default field size: Kestrel
                // itself refuses it (a plain HTTP 431), before the pipeline.
                var reply = await raw.CallAsync(HealthCheck, HealthRequest, Token, headers =>
                {
                    headers.Add("x-big-1", new string('x', 6000));
                    headers.Add("x-big-2", new string('x', 6000));
                });
                // Kestrel answers some of these with a plain HTTP 431 and no grpc-status: refused all the same.
                refused = reply.GrpcStatus != 0;
                outcome = reply.ToString();
            }
            catch (HttpRequestException)
            {
                refused = true;
            }
        }

        Assert.True(refused, outcome);
        using var fresh = new RawGrpc(server.GrpcAddress);
        Assert.Equal(0, (await fresh.CallAsync(HealthCheck, HealthRequest, Token, headers => headers.Add("x-small", "ok"))).GrpcStatus);
    }

    [Fact]
    public async Task Start_NonPositiveLimit_RefusesNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => StartAsync(("Chronoq:Limits:MaxConnections", "0")));
        Assert.Contains("Chronoq:Limits:MaxConnections", error.Message, StringComparison.Ordinal);
    }

    private Task<LoopbackServer> StartAsync(params (string Key, string Value)[] settings) => LoopbackServer.StartAsync(
        options =>
        {
            foreach (var (key, value) in settings)
            {
                options.Configuration[key] = value;
            }
        },
        Token);

    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), Token);
        }
    }

    private static ChronoqClient Client(LoopbackServer server) => new(ChronoqClientOptions.Default with { Address = server.GrpcAddress, MaxCallAttempts = 1 });
}
