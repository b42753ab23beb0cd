using System.Buffers;
using System.Text;

namespace Chronoq.Protocol.Grpc;

/// <summary>
/// The percent-encoding of <c>grpc-message</c> (gRPC over HTTP/2 spec): the message is UTF-8, and
/// every byte outside printable ASCII 0x20–0x7E, plus '%' itself, is sent as %XX. Decoding is
/// lenient, as the spec asks: a malformed escape is kept as it stands.
/// </summary>
public static class GrpcStatusMessage
{
    /// <summary>Percent-encodes a status message for the <c>grpc-message</c> header.</summary>
    public static string Encode(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var index = 0;
        while (index < message.Length && !NeedsEscape(message[index]))
        {
            index++;
        }

        if (index == message.Length)
        {
            return message;
        }

        var utf8 = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(utf8.Length + 16);
        foreach (var b in utf8)
        {
            if (NeedsEscape((char)b))
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a <c>grpc-message</c> header value.</summary>
    public static string Decode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            var length = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '%' && i + 2 < value.Length && TryHex(value[i + 1], out var high) && TryHex(value[i + 2], out var low))
                {
                    rented[length++] = (byte)((high << 4) | low);
                    i += 2;
                }
                else
                {
                    length += Encoding.UTF8.GetBytes(value.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1), rented.AsSpan(length));
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length)
                    {
                        i++;
                    }
                }
            }

            return Encoding.UTF8.GetString(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool NeedsEscape(char c) => c is < ' ' or > '~' or '%';

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
