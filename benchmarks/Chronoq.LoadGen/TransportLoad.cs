using System.Diagnostics;
using Chronoq.Interop.V1;
using Chronoq.Sdk.Transport;
using Google.Protobuf;

namespace Chronoq.LoadGen;

/// <summary>Drives unary calls and server-streamed messages through a <see cref="ChronoqChannel"/> for a fixed time.</summary>
internal sealed class TransportLoad(ChronoqChannel channel, TimeSpan duration, int concurrency, int payloadBytes)
{
    private static readonly RpcMethod<InteropRequest, InteropResponse> Unary =
        new(RpcMethodType.Unary, "chronoq.interop.v1.InteropTest", "Unary", InteropResponse.Parser);

    private static readonly RpcMethod<InteropRequest, InteropResponse> ServerStream =
        new(RpcMethodType.ServerStreaming, "chronoq.interop.v1.InteropTest", "ServerStream", InteropResponse.Parser);

    private readonly ByteString _payload = ByteString.CopyFrom(new byte[payloadBytes]);

    /// <summary>Completed unary calls per second, with <c>concurrency</c> calls in flight.</summary>
    public async Task<double> UnaryCallsPerSecondAsync()
    {
        var request = new InteropRequest { Payload = _payload };
        long completed = 0;
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                await channel.UnaryAsync(Unary, request);
                Interlocked.Increment(ref completed);
            }
        }));
        return completed / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Messages per second received over <c>concurrency</c> server streams at once.</summary>
    public async Task<double> StreamedMessagesPerSecondAsync()
    {
        // Each stream asks for more than it can deliver in the time, then is cancelled at the end.
        var request = new InteropRequest { Payload = _payload, Count = uint.MaxValue };
        long received = 0;
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            using var call = channel.ServerStreaming(ServerStream, request);
            long mine = 0;
            try
            {
                while (await call.MoveNextAsync(stop.Token))
                {
                    mine++;
                }
            }
            catch (Chronoq.Protocol.Grpc.RpcException) when (stop.IsCancellationRequested)
            {
                // The measurement's end cancels the stream.
            }

            Interlocked.Add(ref received, mine);
        }));
        return received / clock.Elapsed.TotalSeconds;
    }
}
