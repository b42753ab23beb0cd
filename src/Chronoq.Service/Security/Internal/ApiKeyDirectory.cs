using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// The configured API keys, rebuilt whenever <c>Chronoq:Auth</c> reloads, and the bearer-token
/// check every protected call goes through.
/// </summary>
internal sealed class ApiKeyDirectory : IDisposable
{
    private const string BearerPrefix = "Bearer ";

    // Keys are ~46 characters; anything far longer is not a key and is not worth hashing.
    private const int MaxTokenLength = 512;

    private readonly ChronoqRequestAuthorizer _authorizer;
    private readonly IDisposable? _reload;
    private volatile Snapshot _snapshot;

    public ApiKeyDirectory(IOptionsMonitor<ChronoqAuthOptions> options, ChronoqRequestAuthorizer authorizer)
    {
        _authorizer = authorizer;
        _snapshot = Build(options.CurrentValue);
        _reload = options.OnChange(changed => _snapshot = Build(changed));
    }

    public bool Enabled => _snapshot.Enabled;

    public bool ProtectReflection => _snapshot.ProtectReflection;

    /// <summary>Checks an <c>authorization</c> header value; on failure, says why in words fit for the caller.</summary>
    public ApiKeyIdentity? Authenticate(string? authorization, out string? failure)
    {
        failure = null;
        if (string.IsNullOrEmpty(authorization))
        {
            failure = "missing API key: send the metadata 'authorization: Bearer <api key>'";
            return null;
        }

        if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            || authorization.Length == BearerPrefix.Length
            || authorization.Length > BearerPrefix.Length + MaxTokenLength)
        {
            failure = "malformed authorization metadata: expected 'Bearer <api key>'";
            return null;
        }

        var token = authorization.AsSpan(BearerPrefix.Length).Trim();
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        // At most 3 UTF-8 bytes per UTF-16 char (surrogate pairs: 4 bytes for 2 chars).
        Span<byte> utf8 = stackalloc byte[MaxTokenLength * 3];
        var length = Encoding.UTF8.GetBytes(token, utf8);
        SHA256.HashData(utf8[..length], hash);

        // Compare against every key in constant time, so timing says nothing about which (if any) matched.
        ApiKeyIdentity? match = null;
        foreach (var key in _snapshot.Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
            {
                match = key;
            }
        }

        if (match is null)
        {
            failure = "unknown API key";
            return null;
        }

        if (match.Revoked)
        {
            failure = $"API key '{match.Name}' has been revoked";
            return null;
        }

        return match;
    }

    public void Dispose() => _reload?.Dispose();

    private Snapshot Build(ChronoqAuthOptions options)
    {
        var keys = new List<ApiKeyIdentity>(options.Keys.Count);
        foreach (var key in options.Keys)
        {
            // The validator has refused anything unparsable at start-up; a bad reload keeps such a
            // key out (it cannot authenticate) rather than taking the server down.
            if (string.IsNullOrEmpty(key.Name) || !AuthOptionsValidator.TryParseHash(key.Hash, out var hash))
            {
                continue;
            }

            var grants = new List<ApiKeyGrant>(key.Grants.Count);
            foreach (var grant in key.Grants)
            {
                var roles = ChronoqRoles.None;
                foreach (var role in grant.Roles)
                {
                    roles |= AuthOptionsValidator.TryParseRole(role, out var parsed) ? parsed : ChronoqRoles.None;
                }

                var topics = new List<TopicPattern>(grant.Topics.Count);
                foreach (var topic in grant.Topics)
                {
                    if (TopicPattern.TryParse(topic, out var pattern))
                    {
                        topics.Add(pattern!);
                    }
                }

                grants.Add(new ApiKeyGrant(roles, topics));
            }

            keys.Add(new ApiKeyIdentity(key.Name, hash!, key.Revoked, grants, _authorizer));
        }

        return new Snapshot(options.Enabled, options.ProtectReflection, keys);
    }

    private sealed record Snapshot(bool Enabled, bool ProtectReflection, IReadOnlyList<ApiKeyIdentity> Keys);
}
