namespace Chronoq.Operations.Tests.Deploy;

/// <summary>Finds the repository's files from the test's output directory.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

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
