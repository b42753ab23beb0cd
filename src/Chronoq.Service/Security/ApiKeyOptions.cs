namespace Chronoq.Service.Security;

/// <summary>One API key: <c>Chronoq:Auth:Keys:N</c>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>A name for logs and error messages (never the key itself). Required, unique.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The lowercase or uppercase hex SHA-256 of the key (64 characters), as
    /// <see cref="ApiKeyHash.Compute"/> or <c>printf %s KEY | sha256sum</c> prints it. Required.
    /// </summary>
    public string? Hash { get; set; }

    /// <summary>A revoked key is refused with UNAUTHENTICATED. Default false.</summary>
    public bool Revoked { get; set; }

    /// <summary>What the key may do, on which topics. A key with no grants authenticates but may do nothing.</summary>
    public IList<ApiKeyGrantOptions> Grants { get; } = [];
}
