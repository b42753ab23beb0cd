using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Chronoq.Operations.Tests.Deploy;

/// <summary>Loads YAML with YamlDotNet and walks it by key; a missing key fails the test with the path it looked for.</summary>
internal static class YamlFile
{
    public static IReadOnlyList<YamlMappingNode> Load(string relativePath)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(RepositoryFiles.Read(relativePath)))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(document => Assert.IsType<YamlMappingNode>(document.RootNode)).ToList();
    }

    /// <summary>The node at a path of mapping keys; fails naming the path when absent.</summary>
    public static YamlNode At(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            var mapping = Assert.IsType<YamlMappingNode>(current);
            Assert.True(mapping.Children.TryGetValue(new YamlScalarNode(key), out current), $"missing key '{key}' on the path {string.Join('.', path)}");
        }

        return current!;
    }

    /// <summary>The node at a path, or null when any key is absent.</summary>
    public static YamlNode? Find(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out current))
            {
                return null;
            }
        }

        return current;
    }

    public static string Text(this YamlNode node) => Assert.IsType<YamlScalarNode>(node).Value ?? "";

    public static int Int(this YamlNode node) => int.Parse(node.Text(), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public static IReadOnlyList<YamlNode> Items(this YamlNode node) => Assert.IsType<YamlSequenceNode>(node).Children.ToList();

    public static IReadOnlyDictionary<string, string> Strings(this YamlNode node) =>
        Assert.IsType<YamlMappingNode>(node).Children.ToDictionary(pair => pair.Key.Text(), pair => pair.Value.Text(), StringComparer.Ordinal);
}
