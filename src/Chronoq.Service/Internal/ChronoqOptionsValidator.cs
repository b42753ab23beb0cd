using Microsoft.Extensions.Options;

namespace Chronoq.Service.Internal;

/// <summary>Checks <see cref="ChronoqOptions"/> at start-up; every failure names the setting.</summary>
internal sealed class ChronoqOptionsValidator : IValidateOptions<ChronoqOptions>
{
    public ValidateOptionsResult Validate(string? name, ChronoqOptions options)
    {
        var failures = new List<string>();
        CheckUrl(failures, "Chronoq:GrpcUrl", options.GrpcUrl, allowHttps: true);
        CheckUrl(failures, "Chronoq:HttpUrl", options.HttpUrl, allowHttps: false);
        if (options.MaxReceiveMessageSize <= 0)
        {
            failures.Add($"Chronoq:MaxReceiveMessageSize must be positive, got {options.MaxReceiveMessageSize}.");
        }

        if (options.MaxSendMessageSize <= 0)
        {
            failures.Add($"Chronoq:MaxSendMessageSize must be positive, got {options.MaxSendMessageSize}.");
        }

        if (EndpointAddress.TryParse(options.GrpcUrl, out var grpc) && grpc.IsHttps)
        {
            var tls = options.Tls;
            if (string.IsNullOrWhiteSpace(tls.CertificatePath))
            {
                failures.Add("Chronoq:Tls:CertificatePath is required when Chronoq:GrpcUrl is https://.");
            }
            else if (!File.Exists(tls.CertificatePath))
            {
                failures.Add($"Chronoq:Tls:CertificatePath '{tls.CertificatePath}' does not exist.");
            }

            if (!string.IsNullOrWhiteSpace(tls.KeyPath) && !File.Exists(tls.KeyPath))
            {
                failures.Add($"Chronoq:Tls:KeyPath '{tls.KeyPath}' does not exist.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckUrl(List<string> failures, string setting, string? url, bool allowHttps)
    {
        if (!EndpointAddress.TryParse(url, out var address))
        {
            failures.Add($"{setting} '{url}' is not a valid URL: expected http://HOST:PORT{(allowHttps ? " or https://HOST:PORT" : string.Empty)} where HOST is an IP address, localhost or *, with no path.");
            return;
        }

        if (address.IsHttps && !allowHttps)
        {
            failures.Add($"{setting} '{url}' must be http://.");
        }

        if (address.IsLocalhost && address.Port == 0)
        {
            failures.Add($"{setting} '{url}': port 0 needs an IP address (e.g. 127.0.0.1), not localhost.");
        }
    }
}
