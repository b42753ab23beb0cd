using System.CommandLine;
using System.Text;
using Chronoq.Cli.Internal;
using Chronoq.Sdk;
using Spectre.Console;

namespace Chronoq.Cli.Commands;

/// <summary><c>chronoq put TOPIC [BODY]</c>: puts one job and prints its id.</summary>
internal static class PutCommand
{
    public static Command Create(CliContext context)
    {
        var topic = new Argument<string>("topic") { Description = "The topic to put the job in." };
        var body = new Argument<string?>("body") { Description = "The body as UTF-8 text (or use --file).", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Read the body from this file; '-' reads standard input." };
        var priority = new Option<uint>("--priority", "-p") { Description = "Lower is more urgent (default 0)." };
        var delay = new Option<TimeSpan?>("--delay", "-d") { Description = "Ready after this delay, e.g. 30s, 5m, 2h.", CustomParser = Durations.Parse };
        var runAt = new Option<DateTimeOffset?>("--run-at") { Description = "Ready at this time (ISO 8601)." };
        var ttr = new Option<TimeSpan?>("--ttr") { Description = "Time-to-run of each reservation (server default 60s).", CustomParser = Durations.Parse };
        var key = new Option<string?>("--key", "-k") { Description = "Business key, unique per topic among live jobs." };
        var headers = new Option<string[]>("--header", "-H") { Description = "A header as name=value; repeatable.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("put", "Put a job: ready now, after --delay, or at --run-at.") { topic, body, file, priority, delay, runAt, ttr, key, headers };
        command.SetAction((parse, cancellationToken) => context.RunAsync(parse, cancellationToken, async (client, ct) =>
        {
            var headerMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var header in parse.GetValue(headers) ?? [])
            {
                var equals = header.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    await context.Error.WriteLineAsync($"error: --header '{header}' must be name=value.").ConfigureAwait(false);
                    return ExitCodes.Usage;
                }

                headerMap[header[..equals]] = header[(equals + 1)..];
            }

            var bytes = await ReadBodyAsync(parse.GetValue(body), parse.GetValue(file), ct).ConfigureAwait(false);
            var options = new PutOptions
            {
                Priority = parse.GetValue(priority),
                Delay = parse.GetValue(delay),
                RunAt = parse.GetValue(runAt),
                Ttr = parse.GetValue(ttr),
                Key = parse.GetValue(key),
                Headers = headerMap.Count > 0 ? headerMap : null,
            };
            var result = await client.PutAsync(parse.GetValue(topic)!, bytes, options, ct).ConfigureAwait(false);
            context.Console.WriteLine(result.Created
                ? $"job {result.Id} created"
                : $"job {result.Id} exists with key '{options.Key}'; nothing changed");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<byte[]> ReadBodyAsync(string? text, FileInfo? file, CancellationToken cancellationToken)
    {
        if (file is null)
        {
            return Encoding.UTF8.GetBytes(text ?? "");
        }

        if (file.Name == "-")
        {
            using var input = new MemoryStream();
            await Console.OpenStandardInput().CopyToAsync(input, cancellationToken).ConfigureAwait(false);
            return input.ToArray();
        }

        return await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false);
    }
}
