using Chronoq.Sdk.Transport;

namespace Chronoq.Sdk;

/// <summary>Credentials for a server with <c>Chronoq:Auth:Enabled</c>: the API key as a bearer token.</summary>
public static class ApiKeyAuthentication
{
    /// <summary>
    /// A <see cref="RequestMetadataProvider"/> sending <c>authorization: Bearer <paramref name="apiKey"/></c>
    /// on every call; set it as <see cref="ChronoqClientOptions.Authentication"/> (or the channel's
    /// request metadata). Use it only over https:// beyond loopback: the key travels in clear otherwise.
    /// </summary>
    public static RequestMetadataProvider Bearer(string apiKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        var value = "Bearer " + apiKey;
        return (_, headers, _) =>
        {
            headers.Add("authorization", value);
            return ValueTask.CompletedTask;
        };
    }
}
