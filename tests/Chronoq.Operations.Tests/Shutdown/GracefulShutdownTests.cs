using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;
using Chronoq.Sdk;
using Chronoq.Service.Storage;
using Chronoq.Testing.Postgres;

namespace Chronoq.Operations.Tests.Shutdown;

/// <summary>SIGTERM to a real server process with open Reserve streams and commits in flight.</summary>
[Collection(PostgresCollection.Name)]
public sealed class GracefulShutdownTests(PostgresCluster postgres)
{
    /// <summary>Long, so a shutdown that merely waits it out is told apart from one that drains promptly.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>A prompt drain ends streams and commits in well under a second; this leaves room for a loaded machine.</summary>
    private static readonly TimeSpan PromptExit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sigterm_WithAnOpenReserveStream_EndsTheStreamAndExitsZeroPromptly()
    {
        using var service = await ServiceProcess.StartAsync(Settings(connectionString: null));
        await using var client = Client(service);
        await client.PutAsync("drain", "job"u8.ToArray());
        using var streamStop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var stream = client.ReserveAsync("drain", cancellationToken: streamStop.Token).GetAsyncEnumerator(streamStop.Token);
        Assert.True(await stream.MoveNextAsync());
        var streamEnded = DrainAsync(stream);

        await service.TerminateAsync();

        var (exitCode, elapsed) = await service.WaitForExitAsync(ShutdownTimeout + TimeSpan.FromSeconds(15));
        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{service.Log}");
        Assert.True(elapsed < PromptExit, $"shutdown took {elapsed}, so the open stream held it until the timeout:\n{service.Log}");
        await streamEnded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("shutting down", service.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_WithPostgres_ReservedJobIsReadyAfterwards_AndEveryAcknowledgedPutSurvives()
    {
        var database = await postgres.CreateDatabaseAsync("shutdown");
        var settings = Settings(database);
        ulong reservedId;
        var acknowledged = new List<ulong>();
        using (var service = await ServiceProcess.StartAsync(settings))
        {
            await using var client = Client(service);
            reservedId = (await client.PutAsync("drain", "held"u8.ToArray())).Id;
            using var streamStop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using var stream = client.ReserveAsync("drain", cancellationToken: streamStop.Token).GetAsyncEnumerator(streamStop.Token);
            Assert.True(await stream.MoveNextAsync());
            Assert.Equal(reservedId, stream.Current.Id);
            Assert.Equal(JobState.Reserved, (await client.PeekAsync(reservedId))!.State);
            var streamEnded = DrainAsync(stream);

            // Puts in flight while the signal arrives: each is either acknowledged (then durable) or refused.
            var puts = Enumerable.Range(0, 200).Select(i => client.PutAsync("flight", BitConverter.GetBytes(i), new PutOptions { Key = $"k{i}" })).ToList();
            await service.TerminateAsync();
            foreach (var put in puts)
            {
                try
                {
                    acknowledged.Add((await put).Id);
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown)
                {
                    // Refused or cut off by the shutdown: not acknowledged, so nothing is promised.
                }
            }

            var (exitCode, elapsed) = await service.WaitForExitAsync(ShutdownTimeout + TimeSpan.FromSeconds(15));
            Assert.True(exitCode == 0, $"exit code {exitCode}:\n{service.Log}");
            Assert.True(elapsed < PromptExit, $"shutdown took {elapsed}:\n{service.Log}");
            await streamEnded.WaitAsync(TimeSpan.FromSeconds(10));
        }

        using (var restarted = await ServiceProcess.StartAsync(settings))
        {
            await using var client = Client(restarted);
            var job = await client.PeekAsync(reservedId);
            Assert.NotNull(job);
            Assert.Equal(JobState.Ready, job.State);
            // Reservations are not persisted (they die with the process); the job is simply ready again.
            var again = await client.ReserveOneAsync("drain", TimeSpan.FromSeconds(5));
            Assert.Equal(reservedId, again?.Id);
            foreach (var id in acknowledged)
            {
                Assert.True(await client.PeekAsync(id) is not null, $"acknowledged put {id} was lost");
            }

            await restarted.TerminateAsync();
            Assert.Equal(0, (await restarted.WaitForExitAsync(ShutdownTimeout + TimeSpan.FromSeconds(15))).ExitCode);
        }
    }

    private static Dictionary<string, string> Settings(string? connectionString)
    {
        var settings = new Dictionary<string, string>
        {
            ["Chronoq__ShutdownTimeout"] = ShutdownTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (connectionString is not null)
        {
            settings["ConnectionStrings__" + ChronoqStorageOptions.ConnectionStringName] = connectionString;
        }

        return settings;
    }

    private static ChronoqClient Client(ServiceProcess service) =>
        new(ChronoqClientOptions.Default with { Address = service.GrpcAddress, EnableBatching = false, MaxCallAttempts = 1, DefaultDeadline = TimeSpan.FromSeconds(15) });

    /// <summary>Reads the stream to its end; an end by status (UNAVAILABLE, CANCELLED) counts as ended too.</summary>
    private static async Task DrainAsync(IAsyncEnumerator<ReservedJobHandle> stream)
    {
        try
        {
            while (await stream.MoveNextAsync())
            {
            }
        }
        catch (RpcException)
        {
        }
    }
}
