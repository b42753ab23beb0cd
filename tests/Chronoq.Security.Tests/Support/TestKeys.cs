using Chronoq.Service.Security;

namespace Chronoq.Security.Tests.Support;

/// <summary>API keys made fresh per test run, and the <c>Chronoq:Auth</c> configuration granting them.</summary>
internal sealed class TestKeys
{
    public string Producer { get; } = ApiKeyHash.NewKey();

    public string Consumer { get; } = ApiKeyHash.NewKey();

    public string Admin { get; } = ApiKeyHash.NewKey();

    public string Revoked { get; } = ApiKeyHash.NewKey();

    /// <summary>produce on orders.*, consume on orders.*, admin on *, and a revoked key that once could produce anywhere.</summary>
    public void AddTo(IDictionary<string, string?> configuration)
    {
        configuration["Chronoq:Auth:Enabled"] = "true";
        Add(configuration, 0, "producer", Producer, "produce", "orders.*");
        Add(configuration, 1, "consumer", Consumer, "consume", "orders.*");
        Add(configuration, 2, "operator", Admin, "admin", "*");
        Add(configuration, 3, "old-ci", Revoked, "produce", "*");
        configuration["Chronoq:Auth:Keys:3:Revoked"] = "true";
    }

    private static void Add(IDictionary<string, string?> configuration, int index, string name, string key, string role, string topic)
    {
        var prefix = $"Chronoq:Auth:Keys:{index}";
        configuration[$"{prefix}:Name"] = name;
        configuration[$"{prefix}:Hash"] = ApiKeyHash.Compute(key);
        configuration[$"{prefix}:Grants:0:Roles:0"] = role;
        configuration[$"{prefix}:Grants:0:Topics:0"] = topic;
    }
}
