using System.Security.Cryptography;
using System.Text;

namespace Chronoq.Service.Security;

/// <summary>
/// How API keys are made and stored. A key is 32 random bytes, so an unsalted SHA-256 is enough:
/// nobody can guess a preimage of a high-entropy secret, and a slow password hash would only cost
/// time on every call.
/// </summary>
public static class ApiKeyHash
{
    // 32 bytes = 256 bits of entropy: beyond any brute force, and the SHA-256 output size.
    private const int KeyBytes = 32;

    /// <summary>The lowercase hex SHA-256 of the key's UTF-8 bytes, the form <c>Chronoq:Auth:Keys:N:Hash</c> takes.</summary>
    public static string Compute(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>A new random key: URL-safe base64 of 32 random bytes, prefixed <c>cq_</c> so a leaked one is recognisable.</summary>
    public static string NewKey()
    {
        var bytes = RandomNumberGenerator.GetBytes(KeyBytes);
        return "cq_" + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
