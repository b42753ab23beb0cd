using Chronoq.Service.Internal;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Chronoq.Service.Security.Internal;

/// <summary>Checks <see cref="ChronoqClientCertificateOptions"/> at start-up; every failure names the setting.</summary>
internal sealed class ClientCertificateOptionsValidator(IOptions<ChronoqOptions> server) : IValidateOptions<ChronoqClientCertificateOptions>
{
    public ValidateOptionsResult Validate(string? name, ChronoqClientCertificateOptions options)
    {
        if (options.ClientCertificateMode == ClientCertificateMode.NoCertificate)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (!EndpointAddress.TryParse(server.Value.GrpcUrl, out var grpc) || !grpc.IsHttps)
        {
            failures.Add($"Chronoq:Tls:ClientCertificateMode {options.ClientCertificateMode} needs an https:// Chronoq:GrpcUrl, got '{server.Value.GrpcUrl}'.");
        }

        if (string.IsNullOrWhiteSpace(options.ClientCertificateAuthorityPath))
        {
            failures.Add($"Chronoq:Tls:ClientCertificateAuthorityPath is required when Chronoq:Tls:ClientCertificateMode is {options.ClientCertificateMode}.");
        }
        else if (!File.Exists(options.ClientCertificateAuthorityPath))
        {
            failures.Add($"Chronoq:Tls:ClientCertificateAuthorityPath '{options.ClientCertificateAuthorityPath}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
