using System.Text.RegularExpressions;
using System.Xml.Linq;
using Chronoq.Service;

namespace Chronoq.Operations.Tests.Deploy;

/// <summary>The Dockerfile against the solution and the server: stages, restore layer, user, ports, environment.</summary>
public sealed partial class DockerfileTests
{
    /// <summary>The non-root user the ASP.NET runtime images define as <c>$APP_UID</c>.</summary>
    public const int RuntimeUserId = 1654;

    private static readonly IReadOnlyList<DockerfileInstruction> Instructions = DockerfileInstruction.Parse(RepositoryFiles.Read("Dockerfile"));

    private static int FinalStage => Instructions.Max(static i => i.Stage);

    [Fact]
    public void Dockerfile_IsMultiStage_BuildsWithTheSdkAndRunsOnTheAspNetRuntime()
    {
        var froms = Instructions.Where(static i => i.Keyword == "FROM").Select(static i => i.Arguments).ToList();
        Assert.True(froms.Count >= 2, "the build and the runtime must be separate stages");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", froms[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", froms[^1], StringComparison.Ordinal);
        var buildStage = froms[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains(Instructions, i => i.Stage == FinalStage && i.Keyword == "COPY" && i.Arguments.Contains($"--from={buildStage}", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerfile_RuntimeStage_RunsAsNonRoot()
    {
        var user = Assert.Single(Instructions, i => i.Stage == FinalStage && i.Keyword == "USER").Arguments;
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user);
        Assert.True(user is "$APP_UID" or "${APP_UID}" || user == RuntimeUserId.ToString(System.Globalization.CultureInfo.InvariantCulture), $"USER {user} must be the image's non-root user {RuntimeUserId}, which the Kubernetes securityContext names");
    }

    [Fact]
    public void Dockerfile_Environment_IsReadByTheServer_AndExposesItsPorts()
    {
        var environment = Instructions.Where(i => i.Stage == FinalStage && i.Keyword == "ENV")
            .SelectMany(static i => EnvPair().Matches(i.Arguments).Select(static m => (Name: m.Groups[1].Value, Value: m.Groups[2].Value)))
            .ToDictionary(static p => p.Name, static p => p.Value);
        foreach (var name in environment.Keys)
        {
            Assert.True(ServiceSettings.IsKnownVariable(name, out var why), $"ENV {name}: {why}");
        }

        Assert.True(ServiceSettings.BindsAllInterfaces(environment["Chronoq__GrpcUrl"]), "inside a container the gRPC endpoint must listen on all interfaces");
        Assert.True(ServiceSettings.BindsAllInterfaces(environment["Chronoq__HttpUrl"]), "inside a container the HTTP endpoint must listen on all interfaces");
        var exposed = Instructions.Where(i => i.Stage == FinalStage && i.Keyword == "EXPOSE")
            .SelectMany(static i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(static p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();
        Assert.Contains(ServiceSettings.PortOf(environment["Chronoq__GrpcUrl"]), exposed);
        Assert.Contains(ServiceSettings.PortOf(environment["Chronoq__HttpUrl"]), exposed);
    }

    [Fact]
    public void Dockerfile_Entrypoint_RunsTheServerAssembly()
    {
        var entrypoint = Assert.Single(Instructions, i => i.Stage == FinalStage && i.Keyword == "ENTRYPOINT").Arguments;
        Assert.Contains($"\"{typeof(ChronoqHost).Assembly.GetName().Name}.dll\"", entrypoint, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_RestoreLayer_CopiesEveryProjectTheServerAndCliReference()
    {
        // The restore layer sees only the project files copied before it: a missing one fails the build.
        var restoreIndex = Instructions.ToList().FindIndex(static i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.True(restoreIndex > 0, "no restore layer");
        var copied = Instructions.Take(restoreIndex).Where(static i => i.Keyword == "COPY").Select(static i => i.Arguments).ToList();
        var restores = Instructions.Where(static i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal)).Select(static i => i.Arguments).ToList();
        foreach (var entry in new[] { "src/Chronoq.Service/Chronoq.Service.csproj", "src/Chronoq.Cli/Chronoq.Cli.csproj" })
        {
            Assert.True(restores.Any(r => r.Contains(entry, StringComparison.Ordinal)), $"{entry} is never restored");
        }

        foreach (var project in ProjectClosure("src/Chronoq.Service/Chronoq.Service.csproj").Concat(ProjectClosure("src/Chronoq.Cli/Chronoq.Cli.csproj")))
        {
            Assert.True(copied.Any(c => c.Contains(project, StringComparison.Ordinal)), $"{project} is not copied before dotnet restore");
        }

        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" })
        {
            Assert.True(copied.Any(c => c.Contains(file, StringComparison.Ordinal)), $"{file} is not copied before dotnet restore");
            Assert.True(File.Exists(RepositoryFiles.PathOf(file)), $"{file} is copied but does not exist");
        }
    }

    [Fact]
    public void DockerIgnore_KeepsHostBuildOutputOutOfTheContext()
    {
        // `COPY src/ src/` after the restore would otherwise overwrite obj/project.assets.json with
        // the host's (paths from another machine), and `publish --no-restore` would fail.
        var path = RepositoryFiles.PathOf(".dockerignore");
        Assert.True(File.Exists(path), ".dockerignore is missing");
        var patterns = File.ReadAllLines(path).Select(static l => l.Trim()).ToHashSet();
        Assert.Contains("**/bin", patterns);
        Assert.Contains("**/obj", patterns);
    }

    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(RepositoryFiles.PathOf(current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(RepositoryFiles.Root, directory, reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(RepositoryFiles.Root, full).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(""[^""]*""|\S+)")]
    private static partial Regex EnvPair();
}
