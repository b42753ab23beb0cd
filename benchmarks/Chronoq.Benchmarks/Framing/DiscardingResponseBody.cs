using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Chronoq.Benchmarks.Framing;

/// <summary>The response-body feature over a <see cref="DiscardingBodyWriter"/>.</summary>
internal sealed class DiscardingResponseBody(DiscardingBodyWriter writer) : IHttpResponseBodyFeature
{
    public Stream Stream => Stream.Null;

    public PipeWriter Writer => writer;

    public void DisableBuffering()
    {
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task CompleteAsync() => Task.CompletedTask;
}
