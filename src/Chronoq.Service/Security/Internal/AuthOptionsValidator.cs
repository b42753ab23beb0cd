using System.Diagnostics.CodeAnalysis;
using Chronoq.Service.Internal;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>
/// Checks <see cref="ChronoqAuthOptions"/> at start-up (every failure names the setting), and
/// refuses an unauthenticated server on a non-loopback address unless told otherwise.
/// </summary>
internal sealed class AuthOptionsValidator(IOptions<ChronoqOptions> server) : IValidateOptions<ChronoqAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, ChronoqAuthOptions options)
    {
        var failures = new List<string>();
        var grpcUrl = server.Value.GrpcUrl;
        if (!options.Enabled && !options.AllowUnauthenticated && !IsLoopback(grpcUrl))
        {
            failures.Add($"Chronoq:GrpcUrl '{grpcUrl}' is not a loopback address and authentication is off: set Chronoq:Auth:Enabled=true with Chronoq:Auth:Keys, or Chronoq:Auth:AllowUnauthenticated=true to serve an open queue on purpose.");
        }

        if (options.Enabled && options.Keys.Count == 0)
        {
            failures.Add("Chronoq:Auth:Keys must hold at least one key when Chronoq:Auth:Enabled is true (make one with 'Chronoq.Service --new-api-key').");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var prefix = $"Chronoq:Auth:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"{prefix}:Name is required.");
            }
            else if (!names.Add(key.Name))
            {
                failures.Add($"{prefix}:Name '{key.Name}' is used by another key.");
            }

            if (!TryParseHash(key.Hash, out _))
            {
                failures.Add($"{prefix}:Hash must be the 64 hex characters of the key's SHA-256 (printf %s KEY | sha256sum), got '{key.Hash}'.");
            }

            for (var g = 0; g < key.Grants.Count; g++)
            {
                var grant = key.Grants[g];
                if (grant.Roles.Count == 0)
                {
                    failures.Add($"{prefix}:Grants:{g}:Roles must name at least one of produce, consume, admin.");
                }

                for (var r = 0; r < grant.Roles.Count; r++)
                {
                    if (!TryParseRole(grant.Roles[r], out _))
                    {
                        failures.Add($"{prefix}:Grants:{g}:Roles:{r} '{grant.Roles[r]}' is not a role: expected produce, consume or admin.");
                    }
                }

                if (grant.Topics.Count == 0)
                {
                    failures.Add($"{prefix}:Grants:{g}:Topics must name at least one topic or pattern (e.g. orders.* or *).");
                }

                for (var t = 0; t < grant.Topics.Count; t++)
                {
                    if (!TopicPattern.TryParse(grant.Topics[t], out _))
                    {
                        failures.Add($"{prefix}:Grants:{g}:Topics:{t} '{grant.Topics[t]}' is not a topic pattern: 1-200 letters, digits, -_.:/ and *.");
                    }
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static bool TryParseHash(string? text, [NotNullWhen(true)] out byte[]? hash)
    {
        hash = null;
        if (text is null || text.Length != 64)
        {
            return false;
        }

        try
        {
            hash = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static bool TryParseRole(string? text, out ChronoqRoles role)
    {
        role = text?.Trim().ToUpperInvariant() switch
        {
            "PRODUCE" => ChronoqRoles.Produce,
            "CONSUME" => ChronoqRoles.Consume,
            "ADMIN" => ChronoqRoles.Admin,
            _ => ChronoqRoles.None,
        };
        return role != ChronoqRoles.None;
    }

    private static bool IsLoopback(string? url) => EndpointAddress.TryParse(url, out var address) && address.IsLoopback;
}
