namespace Chronoq.Sdk.Tests.Support;

/// <summary>The repository's root (where Chronoq.sln is), found from the test binaries upwards.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Chronoq.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Chronoq.sln not found above " + AppContext.BaseDirectory);
    }
}
