using Chronoq.Protocol.Grpc;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Primitives;

namespace Chronoq.Service.Transport.Internal;

/// <summary>
/// One method's entry point: the protocol work every call shares (limits, encoding, deadline,
/// mapping the outcome to a status, in one place), around the kind-specific <see cref="RunAsync"/>.
/// </summary>
internal abstract class CallHandler(string path, GrpcCallSettings settings)
{
    public string Path { get; } = path;

    protected GrpcCallSettings Settings { get; } = settings;

    public async Task HandleAsync(HttpContext httpContext)
    {
        LiftStreamingLimits(httpContext);
        var response = httpContext.Response;
        response.ContentType = GrpcHeaderNames.ContentType;

        var encoding = httpContext.Request.Headers[GrpcHeaderNames.Encoding];
        if (!StringValues.IsNullOrEmpty(encoding) && !string.Equals(encoding, GrpcHeaderNames.IdentityEncoding, StringComparison.Ordinal))
        {
            // The spec: an encoding the server does not support is UNIMPLEMENTED, and the
            // response lists what it does support.
            response.Headers[GrpcHeaderNames.AcceptEncoding] = GrpcHeaderNames.IdentityEncoding;
            Complete(httpContext, Path, StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: identity", null, false);
            return;
        }

        using var call = new ServerCallContext(httpContext, Path, Settings.TimeProvider);
        var timeout = httpContext.Request.Headers[GrpcHeaderNames.Timeout];
        if (!StringValues.IsNullOrEmpty(timeout))
        {
            if (!GrpcTimeout.TryParse(timeout.ToString(), out var span))
            {
                Complete(httpContext, Path, StatusCode.Internal, $"Invalid grpc-timeout value '{timeout}'.", null, false);
                return;
            }

            call.StartDeadline(span);
        }

        StatusCode code;
        string? detail;
        try
        {
            await RunAsync(httpContext, call).ConfigureAwait(false);
            (code, detail) = call.DeadlineExceeded ? (StatusCode.DeadlineExceeded, "Deadline Exceeded") : (StatusCode.OK, null);
        }
        catch (Exception) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream or went away: there is no one to send a status to.
            GrpcServerLog.CallAborted(Settings.Logger, Path);
            return;
        }
        catch (RpcException exception)
        {
            (code, detail) = (exception.StatusCode, exception.Detail);
        }
        catch (OperationCanceledException) when (call.CancellationToken.IsCancellationRequested)
        {
            // The deadline or the client's abort (which cancels the same token) ended the call. The
            // filter does not tell them apart: a server stopping can abort the request between the
            // first filter above and this one, and an abort is reported just below instead.
            if (!httpContext.RequestAborted.IsCancellationRequested)
            {
                GrpcServerLog.DeadlineExceeded(Settings.Logger, Path);
            }

            (code, detail) = (StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        catch (Exception exception)
        {
            // Never leak the exception's text to the caller; log it here instead.
            GrpcServerLog.ErrorExecutingServiceMethod(Settings.Logger, Path, exception);
            (code, detail) = (StatusCode.Unknown, "Exception was thrown by handler.");
        }

        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            GrpcServerLog.CallAborted(Settings.Logger, Path);
            return;
        }

        Complete(httpContext, Path, code, detail, call.Trailers, call.ResponseStarted);
    }

    /// <summary>Runs the method: reads requests, calls the handler, writes responses.</summary>
    protected abstract Task RunAsync(HttpContext httpContext, ServerCallContext call);

    private void Complete(HttpContext httpContext, string path, StatusCode code, string? detail, IReadOnlyList<KeyValuePair<string, string>>? trailers, bool responseStarted)
    {
        if (code != StatusCode.OK)
        {
            GrpcServerLog.CallFailed(Settings.Logger, path, code, detail);
        }

        GrpcStatusWriter.Write(httpContext, responseStarted, code, detail, trailers);
    }

    // A gRPC stream may last for hours and idle for minutes: the per-request body size cap and
    // the minimum data rates Kestrel applies to ordinary requests would cut it off.
    private static void LiftStreamingLimits(HttpContext httpContext)
    {
        var features = httpContext.Features;
        if (features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody)
        {
            maxBody.MaxRequestBodySize = null;
        }

        if (features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRequestRate)
        {
            minRequestRate.MinDataRate = null;
        }

        if (features.Get<IHttpMinResponseDataRateFeature>() is { } minResponseRate)
        {
            minResponseRate.MinDataRate = null;
        }
    }
}
