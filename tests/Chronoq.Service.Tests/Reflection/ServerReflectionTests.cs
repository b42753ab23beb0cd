using Chronoq.Protocol.Grpc;
using Chronoq.Service.Tests.Support;
using Chronoq.Testing;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Chronoq.Service.Tests.Reflection;

public sealed class ServerReflectionTests
{
    private const string V1Path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
    private const string V1AlphaPath = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

    [Fact]
    public async Task ServerReflectionInfo_Queries_AnswerInOrderOnOneStream()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);
        var content = new DuplexContent();
        var sending = client.SendAsync(V1Path, content, ct);

        // list_services
        await content.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        using var call = await sending;
        var list = await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct);
        Assert.Equal(
            ["chronoq.v1.Chronoq", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"],
            list!.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal));

        // file_by_filename: the file first, then its imports.
        await content.WriteAsync(new ServerReflectionRequest { FileByFilename = "chronoq/v1/chronoq.proto" });
        var byName = await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct);
        var names = byName!.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b).Name).ToList();
        Assert.Equal("chronoq/v1/chronoq.proto", names[0]);
        Assert.Contains("google/protobuf/duration.proto", names);
        Assert.Contains("google/protobuf/timestamp.proto", names);
        Assert.Equal("chronoq/v1/chronoq.proto", byName.OriginalRequest.FileByFilename);

        // file_containing_symbol: service, method, message, nested-or-top-level enum; the imports
        // were sent already on this stream, so only the file itself comes back.
        foreach (var symbol in new[] { "chronoq.v1.Chronoq", "chronoq.v1.Chronoq.Put", "chronoq.v1.PutRequest", "chronoq.v1.JobState" })
        {
            await content.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = symbol });
            var bySymbol = await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct);
            var files = bySymbol!.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b).Name).ToList();
            Assert.Equal(["chronoq/v1/chronoq.proto"], files);
        }

        await content.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "grpc.health.v1.HealthCheckResponse.ServingStatus" });
        var nested = await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct);
        Assert.Equal("grpc/health/v1/health.proto", FileDescriptorProto.Parser.ParseFrom(nested!.FileDescriptorResponse.FileDescriptorProto[0]).Name);

        // unknown symbol and file: error_response NOT_FOUND, stream goes on.
        await content.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "no.such.Symbol" });
        var unknownSymbol = await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct);
        Assert.Equal((int)StatusCode.NotFound, unknownSymbol!.ErrorResponse.ErrorCode);
        await content.WriteAsync(new ServerReflectionRequest { FileByFilename = "nope.proto" });
        var unknownFile = await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct);
        Assert.Equal((int)StatusCode.NotFound, unknownFile!.ErrorResponse.ErrorCode);

        content.Complete();
        Assert.Null(await call.ReadMessageAsync(ServerReflectionResponse.Parser, ct));
        Assert.Equal(StatusCode.OK, (await call.ReadStatusAsync(ct)).Status);
    }

    [Fact]
    public async Task ServerReflectionInfoV1Alpha_FileContainingSymbol_FileWithDependencies()
    {
        var ct = TestServer.Timeout();
        await using var server = await LoopbackServer.StartAsync(cancellationToken: ct);
        using var client = new RawGrpcClient(server.GrpcAddress);
        var content = new DuplexContent();
        var sending = client.SendAsync(V1AlphaPath, content, ct);

        await content.WriteAsync(new V1Alpha.ServerReflectionRequest { FileContainingSymbol = "chronoq.v1.ReservedJob" });
        content.Complete();
        using var call = await sending;
        var response = await call.ReadMessageAsync(V1Alpha.ServerReflectionResponse.Parser, ct);

        var files = response!.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b).Name).ToList();
        Assert.Equal("chronoq/v1/chronoq.proto", files[0]);
        Assert.Contains("google/protobuf/timestamp.proto", files);
        Assert.Equal(StatusCode.OK, (await call.ReadStatusAsync(ct)).Status);
    }
}
