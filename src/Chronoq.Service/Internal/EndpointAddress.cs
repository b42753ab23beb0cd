using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Chronoq.Service.Internal;

/// <summary>A parsed listen URL: scheme, host kind and port.</summary>
internal sealed class EndpointAddress
{
    private EndpointAddress(bool isHttps, IPAddress? ip, bool isLocalhost, int port)
    {
        IsHttps = isHttps;
        Ip = ip;
        IsLocalhost = isLocalhost;
        Port = port;
    }

    public bool IsHttps { get; }

    /// <summary>The IP to bind; <see cref="IPAddress.IPv6Any"/> for "*" and null for localhost.</summary>
    public IPAddress? Ip { get; }

    public bool IsLocalhost { get; }

    /// <summary>localhost, 127.0.0.0/8 and ::1 are loopback; '*', 0.0.0.0 and every other address are not.</summary>
    public bool IsLoopback => IsLocalhost || (Ip is { } ip && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) && IPAddress.IsLoopback(ip));

    public int Port { get; }

    public static bool TryParse(string? url, [NotNullWhen(true)] out EndpointAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            return false;
        }

        // Uri rejects "*" and "+" as hosts, so swap them for a placeholder first.
        var wildcard = url.Contains("://*", StringComparison.Ordinal) || url.Contains("://+", StringComparison.Ordinal);
        var candidate = wildcard ? url.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal) : url;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath is not ("/" or "")
            || !string.IsNullOrEmpty(uri.Query))
        {
            return false;
        }

        var isHttps = uri.Scheme == Uri.UriSchemeHttps;
        if (wildcard)
        {
            address = new EndpointAddress(isHttps, IPAddress.IPv6Any, false, uri.Port);
            return true;
        }

        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new EndpointAddress(isHttps, null, true, uri.Port);
            return true;
        }

        if (IPAddress.TryParse(uri.Host, out var ip))
        {
            address = new EndpointAddress(isHttps, ip, false, uri.Port);
            return true;
        }

        return false;
    }
}
