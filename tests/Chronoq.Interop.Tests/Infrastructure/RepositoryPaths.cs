namespace Chronoq.Interop.Tests.Infrastructure;

/// <summary>Where the interop scripts and the interpreters that run them are.</summary>
internal static class RepositoryPaths
{
    /// <summary>Debian's python, which has python3-grpcio; the <c>python3</c> on PATH may be another build without it.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Node.js from PATH.</summary>
    public const string Node = "node";

    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository root (the folder holding Chronoq.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>tests/interop/python.</summary>
    public static string PythonScripts => Path.Combine(Root, "tests", "interop", "python");

    /// <summary>tests/interop/node.</summary>
    public static string NodeScripts => Path.Combine(Root, "tests", "interop", "node");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Chronoq.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Chronoq.sln above {AppContext.BaseDirectory}.");
    }
}
