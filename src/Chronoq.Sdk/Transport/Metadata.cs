using System.Collections;
using Chronoq.Protocol.Grpc;

namespace Chronoq.Sdk.Transport;

/// <summary>
/// gRPC metadata: request headers a call sends, or response headers and trailers it received.
/// Keys are case-insensitive on the wire and stored lower-case; a key may repeat.
/// </summary>
public sealed class Metadata : IReadOnlyList<MetadataEntry>
{
    private readonly List<MetadataEntry> _entries;

    /// <summary>Creates empty metadata.</summary>
    public Metadata()
    {
        _entries = [];
    }

    internal Metadata(int capacity)
    {
        _entries = new List<MetadataEntry>(capacity);
    }

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public MetadataEntry this[int index] => _entries[index];

    /// <summary>
    /// Adds a text entry. The key is lower-cased and must be a valid header name that is neither
    /// binary (<c>-bin</c>) nor reserved by the protocol (<c>grpc-*</c>, <c>content-type</c>, <c>te</c>,
    /// pseudo-headers); the value must be printable ASCII.
    /// </summary>
    public Metadata Add(string key, string value)
    {
        key = ValidateKey(key, binary: false);
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException($"Metadata value of '{key}' must be printable ASCII; use a '-bin' key for other data.", nameof(value));
            }
        }

        _entries.Add(new MetadataEntry(key, value));
        return this;
    }

    /// <summary>Adds a binary entry; the key must end in <c>-bin</c>.</summary>
    public Metadata Add(string key, ReadOnlySpan<byte> value)
    {
        key = ValidateKey(key, binary: true);
        _entries.Add(new MetadataEntry(key, Convert.ToBase64String(value)));
        return this;
    }

    /// <summary>The first value of a text entry, or null when the key is absent.</summary>
    public string? GetValue(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>The first value of a binary (<c>-bin</c>) entry, decoded, or null when the key is absent.</summary>
    public byte[]? GetBytes(string key)
    {
        var value = GetValue(key);
        if (value is null)
        {
            return null;
        }

        // Senders may omit base64 padding (the gRPC spec allows it); restore it before decoding.
        var padding = (4 - (value.Length % 4)) % 4;
        return Convert.FromBase64String(padding == 0 ? value : value + new string('=', padding));
    }

    /// <inheritdoc />
    public List<MetadataEntry>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<MetadataEntry> IEnumerable<MetadataEntry>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    // Received entries come from the HTTP layer already validated; they skip the checks.
    internal void AddReceived(string key, string value) => _entries.Add(new MetadataEntry(key, value));

    private static string ValidateKey(string key, bool binary)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        key = key.ToLowerInvariant();
        foreach (var c in key)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                throw new ArgumentException($"Metadata key '{key}' may only hold letters, digits, '-', '_' and '.'.", nameof(key));
            }
        }

        if (key.StartsWith("grpc-", StringComparison.Ordinal) || key is "content-type" or "te" or "user-agent")
        {
            throw new ArgumentException($"Metadata key '{key}' is reserved by the gRPC protocol.", nameof(key));
        }

        if (binary != key.EndsWith(GrpcHeaderNames.BinaryHeaderSuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                binary ? $"Binary metadata key '{key}' must end in '-bin'." : $"Text metadata key '{key}' must not end in '-bin'.",
                nameof(key));
        }

        return key;
    }
}
