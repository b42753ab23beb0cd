using System.Net.Http.Headers;
using Chronoq.Protocol.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Chronoq.Security.Tests.Fuzzing;

/// <summary>
/// One malformed gRPC request, made from a seeded <see cref="Random"/>. None of them can be a valid
/// mutating request: broken frames and broken protobuf never reach a handler, and the well-formed
/// messages carry values the engine must refuse (bad topics, ids that were never issued, bad spans).
/// </summary>
internal sealed record MalformedInput(string Kind, string Path, byte[] Body, string ContentType, Action<HttpRequestHeaders>? Headers, bool ExpectsGrpcStatus)
{
    private const string TopicAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/";

    // Ids far above any the test's few dozen puts could issue.
    private const ulong UnissuedIdFloor = 1UL << 40;

    public static MalformedInput Create(Random random, IReadOnlyList<string> paths)
    {
        var path = paths[random.Next(paths.Count)];
        return random.Next(12) switch
        {
            0 => new("bad-prefix", path, RandomBytes(random, random.Next(1, 5)), "application/grpc", null, true),
            1 => new("truncated-frame", path, Truncated(random), "application/grpc", null, true),
            2 => new("compressed-flag", path, Frame(BrokenProtobuf(random), flags: (byte)random.Next(1, 256)), "application/grpc", null, true),
            3 => new("giant-length", path, Frame(RandomBytes(random, random.Next(0, 32)), declaredLength: (uint)random.NextInt64(64L * 1024 * 1024, uint.MaxValue)), "application/grpc", null, true),
            4 => new("bad-protobuf", path, Frame(BrokenProtobuf(random)), "application/grpc", null, true),
            5 => new("trailing-data", path, [.. Frame([]), .. Frame(BrokenProtobuf(random)), .. RandomBytes(random, random.Next(0, 8))], "application/grpc", null, true),
            6 => new("bad-timeout", path, Frame(BrokenProtobuf(random)), "application/grpc", headers => headers.TryAddWithoutValidation("grpc-timeout", "z" + RandomAscii(random, random.Next(0, 12))), true),
            7 => new("bad-encoding", path, Frame(BrokenProtobuf(random)), "application/grpc", headers => headers.TryAddWithoutValidation("grpc-encoding", RandomAscii(random, random.Next(1, 12))), true),
            8 => new("garbage-headers", path, Frame(BrokenProtobuf(random)), "application/grpc", headers => GarbageHeaders(random, headers), true),
            9 => new("wrong-content-type", path, Frame([]), "application/" + RandomAscii(random, 6), null, false),
            10 => new("unknown-method", "/chronoq.v1.Chronoq/" + RandomAscii(random, 8), Frame([]), "application/grpc", null, true),
            _ => Refused(random),
        };
    }

    private static MalformedInput Refused(Random random)
    {
        // Well-formed messages the engine must refuse without changing anything.
        var badTopic = random.Next(3) switch
        {
            0 => string.Empty,
            1 => new string('t', 201),
            _ => "bad topic " + RandomAscii(random, 4),
        };
        var unissued = UnissuedIdFloor + (ulong)random.NextInt64(0, long.MaxValue >> 1);
        var badSpan = new Duration { Seconds = -random.Next(1, 1000) };
        IMessage message;
        string method;
        switch (random.Next(10))
        {
            case 0: (method, message) = ("Put", new PutRequest { Topic = badTopic, Body = ByteString.CopyFrom(RandomBytes(random, 16)) }); break;
            case 1: (method, message) = ("Put", new PutRequest { Topic = "fuzz", Delay = badSpan }); break;
            case 2: (method, message) = ("PutBatch", new PutBatchRequest { Jobs = { new PutRequest { Topic = "fuzz" }, new PutRequest { Topic = badTopic } } }); break;
            case 3: (method, message) = ("Delete", new DeleteRequest { Id = unissued, Reservation = (ulong)random.NextInt64() }); break;
            case 4: (method, message) = ("Release", new ReleaseRequest { Id = unissued, Reservation = 1, Delay = badSpan }); break;
            case 5: (method, message) = ("KickJob", new KickJobRequest { Id = unissued }); break;
            case 6: (method, message) = ("Kick", new KickRequest { Topic = badTopic, Bound = 10 }); break;
            case 7: (method, message) = ("PauseTopic", new PauseTopicRequest { Topic = badTopic, Duration = new Duration { Seconds = 1 } }); break;
            case 8: (method, message) = ("DeleteByKey", new DeleteByKeyRequest { Topic = "fuzz", Key = "never-" + RandomAscii(random, 8) }); break;
            default: (method, message) = ("ReserveJob", new ReserveJobRequest { Id = unissued }); break;
        }

        return new("refused-message", "/chronoq.v1.Chronoq/" + method, Frame(message.ToByteArray()), "application/grpc", null, true);
    }

    private static byte[] Frame(byte[] payload, byte flags = 0, uint? declaredLength = null) => Support.RawGrpc.Frame(payload, flags, declaredLength);

    private static byte[] Truncated(Random random)
    {
        var payload = RandomBytes(random, random.Next(2, 200));
        var frame = Frame(payload);
        return frame[..random.Next(1, frame.Length)];
    }

    // Every payload that reaches the protobuf parser is made broken, so no random bytes can pass for a
    // valid message (an empty ListTopicsRequest would) whatever the frame or header did.

    /// <summary>
    /// Protobuf that cannot parse: a tag with a wire type that does not exist, a varint cut off by
    /// the end of the message, or a length-delimited field running past it.
    /// </summary>
    private static byte[] BrokenProtobuf(Random random)
    {
        var field = random.Next(1, 15) << 3;
        switch (random.Next(3))
        {
            case 0:
                // Wire types 6 and 7 do not exist.
                return [(byte)(field | random.Next(6, 8)), .. RandomBytes(random, random.Next(0, 16))];
            case 1:
                // Every byte has the continuation bit: the varint never ends.
                return [(byte)field, .. Enumerable.Repeat((byte)0xFF, random.Next(1, 9))];
            default:
                var length = random.Next(16, 127);
                return [(byte)(field | 2), (byte)length, .. RandomBytes(random, random.Next(0, length))];
        }
    }

    private static void GarbageHeaders(Random random, HttpRequestHeaders headers)
    {
        for (var i = random.Next(1, 8); i > 0; i--)
        {
            var name = random.Next(4) == 0 ? "grpc-" + RandomAscii(random, 5) : "x-" + RandomAscii(random, random.Next(1, 40));
            var value = random.Next(2) == 0 ? RandomAscii(random, random.Next(0, 2000)) : Convert.ToBase64String(RandomBytes(random, random.Next(0, 500)));
            headers.TryAddWithoutValidation(name.ToLowerInvariant() + (random.Next(4) == 0 ? "-bin" : string.Empty), value);
        }

        if (random.Next(3) == 0)
        {
            headers.TryAddWithoutValidation("authorization", RandomAscii(random, random.Next(0, 600)));
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomAscii(Random random, int count) =>
        string.Create(count, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = TopicAlphabet[r.Next(TopicAlphabet.Length)];
            }
        });
}
