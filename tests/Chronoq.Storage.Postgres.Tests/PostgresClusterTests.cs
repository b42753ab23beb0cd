using System.Net;
using System.Net.Sockets;
using Chronoq.Testing.Postgres;
using Npgsql;

namespace Chronoq.Storage.Postgres.Tests;

/// <summary>The test fixture itself: a throwaway cluster whose picked port is taken before postgres binds it.</summary>
public sealed class PostgresClusterTests
{
    [Fact]
    public async Task Start_PickedPortTakenMeanwhile_StartsOnAnotherPort()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var picks = 0;
        var cluster = new PostgresCluster
        {
            PickPort = () => Interlocked.Increment(ref picks) == 1 ? takenPort : FreePort(),
        };

        await cluster.InitializeAsync();
        try
        {
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresCluster.ConnectionStringVariable)))
            {
                // An external server is used as it is: no throwaway cluster, no port picked.
                Assert.False(cluster.IsThrowaway);
                Assert.Equal(0, picks);
                return;
            }

            Assert.Equal(2, picks);
            Assert.NotEqual(takenPort, cluster.Port);
            await using var connection = new NpgsqlConnection(cluster.AdminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_setting('port')::int", connection);
            Assert.Equal(cluster.Port, (int)(await command.ExecuteScalarAsync())!);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
