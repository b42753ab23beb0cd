namespace Chronoq.Service.Security;

/// <summary>
/// The service's key-making command-line modes, so an operator needs no other tool:
/// <c>--new-api-key [NAME]</c> prints a fresh key and the configuration entries for its hash;
/// <c>--hash-api-key</c> reads a key from standard input (not the command line, where shell history
/// and process listings would keep it) and prints its hash.
/// </summary>
public static class ApiKeyCommand
{
    /// <summary>Runs a key mode if <paramref name="args"/> asks for one; false means start the server as usual.</summary>
    public static bool TryRun(string[] args, TextReader input, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length >= 1 && args[0] == "--new-api-key")
        {
            var name = args.Length >= 2 ? args[1] : "my-key";
            var key = ApiKeyHash.NewKey();
            output.WriteLine($"API key (give it to the client; it is not stored anywhere): {key}");
            output.WriteLine("Configuration (e.g. environment variables; N = the key's index; add its grants):");
            output.WriteLine($"  Chronoq__Auth__Keys__N__Name={name}");
            output.WriteLine($"  Chronoq__Auth__Keys__N__Hash={ApiKeyHash.Compute(key)}");
            output.WriteLine("  Chronoq__Auth__Keys__N__Grants__0__Roles__0=produce");
            output.WriteLine("  Chronoq__Auth__Keys__N__Grants__0__Topics__0=*");
            return true;
        }

        if (args.Length >= 1 && args[0] == "--hash-api-key")
        {
            var key = input.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(key))
            {
                output.WriteLine("--hash-api-key reads the key from standard input, e.g. printf %s \"$KEY\" | Chronoq.Service --hash-api-key");
                return true;
            }

            output.WriteLine(ApiKeyHash.Compute(key));
            return true;
        }

        return false;
    }
}
