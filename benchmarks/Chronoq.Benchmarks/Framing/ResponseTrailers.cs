using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Chronoq.Benchmarks.Framing;

/// <summary>The trailers feature Kestrel offers on HTTP/2, reduced to its dictionary.</summary>
internal sealed class ResponseTrailers : IHttpResponseTrailersFeature
{
    public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
}
