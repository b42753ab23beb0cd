using System.Reflection;
using Chronoq.Core;
using Chronoq.Service;
using Chronoq.Service.Internal;
using Chronoq.Service.Storage;
using Chronoq.Service.Telemetry;

namespace Chronoq.Operations.Tests.Deploy;

/// <summary>
/// What the server actually reads, taken from its options classes by reflection (so a renamed
/// setting breaks the manifests' tests) plus the keys read by name: the connection string and the
/// OpenTelemetry variables.
/// </summary>
internal static class ServiceSettings
{
    // Variables read by the .NET runtime and ASP.NET themselves, which the manifests may set.
    private static readonly HashSet<string> RuntimeVariables = new(StringComparer.OrdinalIgnoreCase)
    {
        "DOTNET_gcServer", "DOTNET_GCDynamicAdaptationMode", "DOTNET_GCHeapCount", "DOTNET_GCHeapHardLimit", "DOTNET_GCHeapHardLimitPercent", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT",
    };

    public static IReadOnlySet<string> ConfigurationKeys { get; } = BuildKeys();

    /// <summary>True when an environment variable name is something the server (or its runtime) reads.</summary>
    public static bool IsKnownVariable(string name, out string why)
    {
        if (name.StartsWith("OTEL_", StringComparison.Ordinal))
        {
            why = "an OTEL_* variable the server does not honour";
            return OpenTelemetryEnvironment.All.Contains(name);
        }

        if (RuntimeVariables.Contains(name))
        {
            why = "";
            return true;
        }

        var key = ToConfigurationKey(name);
        why = $"configuration key '{key}' is read by nothing";
        return ConfigurationKeys.Contains(key) || key.StartsWith("Logging:LogLevel:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>ASP.NET's environment mapping: <c>__</c> separates sections.</summary>
    public static string ToConfigurationKey(string variable) => variable.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>The port of a listen URL as the server parses it; fails on a URL the server would reject.</summary>
    public static int PortOf(string url)
    {
        Assert.True(EndpointAddress.TryParse(url, out var address), $"'{url}' is not a listen URL the server accepts");
        return address!.Port;
    }

    /// <summary>True when a listen URL binds every interface, as it must inside a container.</summary>
    public static bool BindsAllInterfaces(string url) =>
        EndpointAddress.TryParse(url, out var address) && address.Ip is { } ip && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any));

    private static HashSet<string> BuildKeys()
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ChronoqStorageOptions.ConnectionStringSetting };
        AddSection(keys, ChronoqOptions.SectionName, typeof(ChronoqOptions));
        AddSection(keys, ChronoqOperationsOptions.SectionName, typeof(ChronoqOperationsOptions));
        AddSection(keys, ChronoqStorageOptions.SectionName, typeof(ChronoqStorageOptions));
        AddSection(keys, "Chronoq:Engine", typeof(EngineOptions));
        AddSection(keys, Chronoq.Service.Security.ChronoqAuthOptions.SectionName, typeof(Chronoq.Service.Security.ChronoqAuthOptions));
        AddSection(keys, Chronoq.Service.Security.ChronoqLimitsOptions.SectionName, typeof(Chronoq.Service.Security.ChronoqLimitsOptions));
        AddSection(keys, Chronoq.Service.Security.ChronoqClientCertificateOptions.SectionName, typeof(Chronoq.Service.Security.ChronoqClientCertificateOptions));
        // Bound, then overwritten from ConnectionStrings:Chronoq: setting it under the section does nothing.
        keys.Remove($"{ChronoqStorageOptions.SectionName}:{nameof(ChronoqStorageOptions.ConnectionString)}");
        return keys;
    }

    private static void AddSection(HashSet<string> keys, string section, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(static p => p.CanWrite))
        {
            var key = $"{section}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsPrimitive || propertyType.IsEnum || propertyType == typeof(string) || propertyType == typeof(TimeSpan) || propertyType == typeof(decimal))
            {
                keys.Add(key);
            }
            else if (propertyType.IsClass)
            {
                AddSection(keys, key, propertyType);
            }
        }
    }
}
