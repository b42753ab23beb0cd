using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>Checks <see cref="ChronoqLimitsOptions"/> at start-up; every failure names the setting.</summary>
internal sealed class LimitsOptionsValidator : IValidateOptions<ChronoqLimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChronoqLimitsOptions options)
    {
        var failures = new List<string>();
        Positive(failures, "MaxConnections", options.MaxConnections);
        Positive(failures, "MaxStreamsPerConnection", options.MaxStreamsPerConnection);
        Positive(failures, "MaxRequestHeadersTotalSize", options.MaxRequestHeadersTotalSize);
        Positive(failures, "MaxRequestHeaderCount", options.MaxRequestHeaderCount);

        Positive(failures, "MaxRequestHeaderFieldSize", options.MaxRequestHeaderFieldSize);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string setting, long value)
    {
        if (value <= 0)
        {
            failures.Add($"Chronoq:Limits:{setting} must be positive, got {value}.");
        }
    }
}
