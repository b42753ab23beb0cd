using System.IO.Pipelines;
using System.Net;
using Chronoq.Protocol.Grpc;
using Google.Protobuf;

namespace Chronoq.Service.Tests.Support;

/// <summary>A gRPC response read by hand, with the shared framing code.</summary>
internal sealed class RawGrpcCall(HttpResponseMessage response) : IDisposable
{
    private PipeReader? _body;

    public HttpResponseMessage Response { get; } = response;

    public HttpStatusCode HttpStatus => Response.StatusCode;

    public string? Header(string name) =>
        Response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>The next message, or null at the end of the response body.</summary>
    public async Task<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        _body ??= PipeReader.Create(await Response.Content.ReadAsStreamAsync(cancellationToken));
        var result = await GrpcFraming.ReadMessageAsync(_body, parser, int.MaxValue, cancellationToken);
        return result.Status switch
        {
            GrpcFrameReadStatus.Message => result.Message,
            GrpcFrameReadStatus.EndOfStream => null,
            _ => throw new InvalidDataException($"Bad response frame: {result.Status}"),
        };
    }

    /// <summary>Reads the rest of the body, then the status from the headers (trailers-only) or the trailers.</summary>
    public async Task<GrpcCallOutcome> ReadStatusAsync(CancellationToken cancellationToken)
    {
        var stream = await Response.Content.ReadAsStreamAsync(cancellationToken);
        if (_body is not null)
        {
            while (true)
            {
                var read = await _body.ReadAsync(cancellationToken);
                _body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        else
        {
            await stream.CopyToAsync(Stream.Null, cancellationToken);
        }

        var headerStatus = Header(GrpcHeaderNames.Status);
        if (headerStatus is not null)
        {
            Assert.False(Response.TrailingHeaders.Contains(GrpcHeaderNames.Status), "grpc-status in both headers and trailers");
            return new GrpcCallOutcome((StatusCode)int.Parse(headerStatus, System.Globalization.CultureInfo.InvariantCulture), DecodeMessage(Header(GrpcHeaderNames.Message)), TrailersOnly: true);
        }

        Assert.True(Response.TrailingHeaders.TryGetValues(GrpcHeaderNames.Status, out var statusValues), "no grpc-status in headers or trailers");
        var message = Response.TrailingHeaders.TryGetValues(GrpcHeaderNames.Message, out var messageValues) ? string.Join(",", messageValues) : null;
        return new GrpcCallOutcome((StatusCode)int.Parse(statusValues.Single(), System.Globalization.CultureInfo.InvariantCulture), DecodeMessage(message), TrailersOnly: false);
    }

    public string? Trailer(string name) =>
        Response.TrailingHeaders.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public void Dispose() => Response.Dispose();

    private static string? DecodeMessage(string? value) => value is null ? null : GrpcStatusMessage.Decode(value);
}
