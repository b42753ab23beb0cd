using System.Text.Json;

namespace Chronoq.Storage.Postgres.Internal;

/// <summary>
/// Headers as a flat JSON object of strings, the text form of the jsonb column: readable in psql,
/// and written and read with the Utf8Json reader/writer directly, no reflection.
/// </summary>
internal static class HeaderCodec
{
    public static string? Encode(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * headers.Count);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in headers)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyDictionary<string, string>? Decode(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("Stored headers are not a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                throw new FormatException($"Stored header '{name}' is not a string.");
            }

            headers[name] = reader.GetString()!;
        }

        return headers.Count == 0 ? null : headers;
    }
}
