using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Chronoq.LoadGen.Beanstalk;

namespace Chronoq.Operations.Tests.Benchmarks;

/// <summary>
/// The load generator's beanstalkd client (benchmarks/Chronoq.LoadGen/Beanstalk) against a real
/// beanstalkd, one started per test on a free port of 127.0.0.1 (no binlog: the client is under
/// test, not beanstalkd's durability). scripts/install-test-prereqs.sh installs beanstalkd.
/// </summary>
public sealed class BeanstalkConnectionTests : IAsyncLifetime
{
    private const string BeanstalkdPath = "/usr/bin/beanstalkd";

    /// <summary>Bigger than the client's 64 KiB receive buffer, so a reply must grow it; beanstalkd's default limit is 65,535 B.</summary>
    private const int MaxJobBytes = 200_000;

    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);
    private readonly CancellationTokenSource _timeout = new(TestTimeout);
    private Process? _server;
    private int _port;

    public async Task InitializeAsync()
    {
        if (!File.Exists(BeanstalkdPath))
        {
            throw new InvalidOperationException($"{BeanstalkdPath} not found: install it with scripts/install-test-prereqs.sh (apt-get install beanstalkd).");
        }

        _port = FreeLoopbackPort();
        _server = Process.Start(new ProcessStartInfo(BeanstalkdPath, ["-l", "127.0.0.1", "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-z", MaxJobBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        })!;
        // beanstalkd listens within milliseconds of starting; retry the connection until it does.
        while (true)
        {
            try
            {
                await using var probe = await BeanstalkConnection.ConnectAsync("127.0.0.1", _port, _timeout.Token);
                return;
            }
            catch (SocketException) when (!_server.HasExited)
            {
                await Task.Delay(20, _timeout.Token);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            _server.Kill();
            await _server.WaitForExitAsync(CancellationToken.None);
            _server.Dispose();
        }

        _timeout.Dispose();
    }

    [Fact]
    public async Task PutReserveDelete_OneJob_ReturnsItsIdAndBodyAndDeletesItOnce()
    {
        await using var connection = await ConnectAsync("one");
        // CRLF inside the body: the client must frame it by length, not by line.
        var body = Encoding.ASCII.GetBytes("first line\r\nsecond line\r\n");

        var id = await connection.PutAsync(body, _timeout.Token);
        var job = await connection.ReserveAsync(timeoutSeconds: 1, _timeout.Token);

        Assert.NotNull(job);
        Assert.Equal(id, job.Id);
        Assert.Equal(body, job.Body);
        Assert.True(await connection.DeleteAsync(id, _timeout.Token));
        Assert.False(await connection.DeleteAsync(id, _timeout.Token));
        Assert.Null(await connection.ReserveAsync(timeoutSeconds: 0, _timeout.Token));
    }

    [Fact]
    public async Task PipelinedCommands_ThousandsInOneWrite_RepliesReadInOrder()
    {
        const int jobs = 2_000;
        await using var connection = await ConnectAsync("pipelined");
        // 2,000 × 300 B of replies is several times the receive buffer, so replies span many reads.
        var bodies = Enumerable.Range(0, jobs).Select(i => Encoding.ASCII.GetBytes($"job {i} ".PadRight(300, '.'))).ToArray();
        foreach (var body in bodies)
        {
            connection.WritePut(body);
        }

        await connection.FlushAsync(_timeout.Token);
        var ids = new ulong[jobs];
        for (var i = 0; i < jobs; i++)
        {
            ids[i] = await connection.ReadInsertedAsync(_timeout.Token);
        }

        Assert.Equal(ids.Order(), ids);
        Assert.Equal(jobs.ToString(System.Globalization.CultureInfo.InvariantCulture), (await connection.StatsAsync(_timeout.Token))["current-jobs-ready"]);

        for (var i = 0; i < jobs; i++)
        {
            connection.WriteReserveWithTimeout(0);
        }

        await connection.FlushAsync(_timeout.Token);
        for (var i = 0; i < jobs; i++)
        {
            // Same priority and no delay: beanstalkd hands jobs out in the order they were put.
            var job = await connection.ReadReservedAsync(_timeout.Token);
            Assert.NotNull(job);
            Assert.Equal(ids[i], job.Id);
            Assert.Equal(bodies[i], job.Body);
            connection.WriteDelete(job.Id);
        }

        await connection.FlushAsync(_timeout.Token);
        for (var i = 0; i < jobs; i++)
        {
            Assert.True(await connection.ReadDeletedAsync(_timeout.Token));
        }

        Assert.Equal("0", (await connection.StatsAsync(_timeout.Token))["current-jobs-ready"]);
    }

    [Fact]
    public async Task Reserve_BodyLargerThanReceiveBuffer_ReturnsWholeBody()
    {
        await using var connection = await ConnectAsync("large");
        var body = new byte[150_000];
        new Random(3).NextBytes(body);

        var id = await connection.PutAsync(body, _timeout.Token);
        var job = await connection.ReserveAsync(timeoutSeconds: 1, _timeout.Token);

        Assert.NotNull(job);
        Assert.Equal(id, job.Id);
        Assert.Equal(body, job.Body);
    }

    [Fact]
    public async Task Watch_SecondTube_ReservesFromBothAndCountsThem()
    {
        await using var producer = await BeanstalkConnection.ConnectAsync("127.0.0.1", _port, _timeout.Token);
        await using var consumer = await BeanstalkConnection.ConnectAsync("127.0.0.1", _port, _timeout.Token);
        await producer.UseAsync("tube-a", _timeout.Token);
        var a = await producer.PutAsync("a"u8.ToArray(), _timeout.Token);

        Assert.Equal(2, await consumer.WatchAsync("tube-a", _timeout.Token));
        consumer.WriteIgnore("default");
        await consumer.FlushAsync(_timeout.Token);
        Assert.Equal(1, await consumer.ReadWatchingAsync(_timeout.Token));
        Assert.Equal(a, (await consumer.ReserveAsync(timeoutSeconds: 1, _timeout.Token))?.Id);
        Assert.Null(await consumer.ReserveAsync(timeoutSeconds: 0, _timeout.Token));
    }

    [Fact]
    public async Task WriteUse_InvalidTubeName_ThrowsNamingTheTube()
    {
        await using var connection = await BeanstalkConnection.ConnectAsync("127.0.0.1", _port, _timeout.Token);

        var error = Assert.Throws<ArgumentException>(() => connection.WriteUse("-starts-with-hyphen"));
        Assert.Equal("tube", error.ParamName);
        Assert.Contains("'-starts-with-hyphen'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => connection.WriteWatch("has space"));
        Assert.Throws<ArgumentException>(() => connection.WriteIgnore(new string('t', 201)));
    }

    [Fact]
    public async Task Put_BodyOverServerLimit_ThrowsWithTheServersReply()
    {
        await using var connection = await BeanstalkConnection.ConnectAsync("127.0.0.1", _port, _timeout.Token);

        var error = await Assert.ThrowsAsync<BeanstalkException>(() => connection.PutAsync(new byte[MaxJobBytes + 1], _timeout.Token));
        Assert.Contains("JOB_TOO_BIG", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A connection that uses and watches only <paramref name="tube"/>.</summary>
    private async Task<BeanstalkConnection> ConnectAsync(string tube)
    {
        var connection = await BeanstalkConnection.ConnectAsync("127.0.0.1", _port, _timeout.Token);
        connection.WriteUse(tube);
        connection.WriteWatch(tube);
        connection.WriteIgnore("default");
        await connection.FlushAsync(_timeout.Token);
        Assert.Equal(tube, await connection.ReadUsingAsync(_timeout.Token));
        Assert.Equal(2, await connection.ReadWatchingAsync(_timeout.Token));
        Assert.Equal(1, await connection.ReadWatchingAsync(_timeout.Token));
        return connection;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
