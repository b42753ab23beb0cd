using System.CommandLine;
using Chronoq.Cli.Internal;
using Chronoq.Protocol.Grpc;
using Chronoq.Sdk;
using Spectre.Console;

namespace Chronoq.Cli;

/// <summary>
/// What every command shares: the console it writes to, the error writer, the global options
/// (<c>--address</c>, <c>--deadline</c>, <c>--api-key</c>) and the one place a server failure becomes a message and
/// an exit code.
/// </summary>
public sealed class CliContext
{
    /// <summary>The environment variable that sets the default server address.</summary>
    public const string AddressVariable = "CHRONOQ_ADDRESS";

    /// <summary>The environment variable that sets the default API key.</summary>
    public const string ApiKeyVariable = "CHRONOQ_API_KEY";

    /// <summary>The address used when neither <c>--address</c> nor <see cref="AddressVariable"/> is given.</summary>
    public const string DefaultAddress = "http://127.0.0.1:50051";

    /// <summary>Creates the context over a console (tables, jobs) and an error writer (failures).</summary>
    public CliContext(IAnsiConsole console, TextWriter error)
    {
        Console = console ?? throw new ArgumentNullException(nameof(console));
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    /// <summary>Where results go.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Where failures go.</summary>
    public TextWriter Error { get; }

    /// <summary>The server's gRPC address.</summary>
    public Option<string> Address { get; } = new("--address", "-a")
    {
        Description = $"The server's gRPC address (default: ${AddressVariable}, else {DefaultAddress}).",
        Recursive = true,
        DefaultValueFactory = static _ => Environment.GetEnvironmentVariable(AddressVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultAddress,
    };

    /// <summary>How long one call may take.</summary>
    public Option<TimeSpan?> Deadline { get; } = new("--deadline")
    {
        Description = "How long each call may take, e.g. 10s (default 30s).",
        Recursive = true,
        CustomParser = Durations.Parse,
    };

    /// <summary>
    /// The API key for a server with authentication enabled, sent as a bearer token. The environment
    /// variable is the better place for it: a command-line argument shows in the process list.
    /// </summary>
    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = $"The API key to authenticate with (default: ${ApiKeyVariable}, else none).",
        Recursive = true,
        DefaultValueFactory = static _ => Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null,
    };

    /// <summary>Runs a command's body with a client for the chosen server, turning a server failure into a message and <see cref="ExitCodes.Failed"/>.</summary>
    public async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<ChronoqClient, CancellationToken, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        var address = parse.GetValue(Address)!;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            await Error.WriteLineAsync($"error: '{address}' is not an http:// or https:// address.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        // One-shot calls: nothing to coalesce, and a command line should fail fast, not retry for long.
        var options = ChronoqClientOptions.Default with
        {
            Address = uri,
            EnableBatching = false,
            DefaultDeadline = parse.GetValue(Deadline) ?? ChronoqClientOptions.Default.DefaultDeadline,
            MaxCallAttempts = 1,
        };
        if (parse.GetValue(ApiKey) is { } apiKey)
        {
            if (string.IsNullOrWhiteSpace(apiKey))
            {
                await Error.WriteLineAsync("error: --api-key is empty.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            options = options with { Authentication = ApiKeyAuthentication.Bearer(apiKey) };
        }

        await using var client = new ChronoqClient(options);
        try
        {
            return await body(client, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            await Error.WriteLineAsync($"error: {ex.StatusCode}: {ex.Detail}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }
}
