using Chronoq.Service.Transport;
using Google.Protobuf;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// A configured API key, parsed once per configuration load. It is also the call's
/// <see cref="ICallAuthorizationFeature"/>, so authenticating a call allocates nothing.
/// </summary>
internal sealed class ApiKeyIdentity(string name, byte[] hash, bool revoked, IReadOnlyList<ApiKeyGrant> grants, ChronoqRequestAuthorizer authorizer)
    : ICallAuthorizationFeature
{
    public string Name { get; } = name;

    public byte[] Hash { get; } = hash;

    public bool Revoked { get; } = revoked;

    /// <summary>Whether the key holds <paramref name="role"/> on <paramref name="topic"/>.</summary>
    public bool Can(ChronoqRoles role, string topic)
    {
        foreach (var grant in grants)
        {
            if ((grant.Roles & role) == role)
            {
                foreach (var pattern in grant.Topics)
                {
                    if (pattern.Matches(topic))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>Whether the key holds <paramref name="role"/> on at least one topic pattern.</summary>
    public bool HasRole(ChronoqRoles role)
    {
        foreach (var grant in grants)
        {
            if ((grant.Roles & role) == role && grant.Topics.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the key holds <paramref name="role"/> on <c>*</c>, i.e. on every topic.</summary>
    public bool CanEverywhere(ChronoqRoles role)
    {
        foreach (var grant in grants)
        {
            if ((grant.Roles & role) == role)
            {
                foreach (var pattern in grant.Topics)
                {
                    if (pattern.IsEverything)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    public ValueTask AuthorizeAsync(IMessage request, ServerCallContext call) => authorizer.AuthorizeAsync(this, request);
}
