namespace Chronoq.Sdk.Transport;

/// <summary>
/// One metadata entry (an HTTP/2 header or trailer). A key ending in <c>-bin</c> carries binary
/// data, held here base64-encoded as it travels; <see cref="Metadata.GetBytes"/> decodes it.
/// </summary>
/// <param name="Key">The lower-case key.</param>
/// <param name="Value">The value as it travels on the wire.</param>
public readonly record struct MetadataEntry(string Key, string Value)
{
    /// <summary>Whether the entry is binary (its key ends in <c>-bin</c>).</summary>
    public bool IsBinary => Key.EndsWith(Chronoq.Protocol.Grpc.GrpcHeaderNames.BinaryHeaderSuffix, StringComparison.Ordinal);
}
