namespace Chronoq.Operations.Tests.Deploy;

/// <summary>One Dockerfile instruction (continuation lines joined), with the build stage it belongs to.</summary>
internal sealed record DockerfileInstruction(int Stage, string Keyword, string Arguments)
{
    public static IReadOnlyList<DockerfileInstruction> Parse(string text)
    {
        var instructions = new List<DockerfileInstruction>();
        var stage = -1;
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || string.IsNullOrWhiteSpace(line)))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var full = (pending + line).Trim();
            pending = "";
            var space = full.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? full : full[..space]).ToUpperInvariant();
            if (keyword == "FROM")
            {
                stage++;
            }

            instructions.Add(new DockerfileInstruction(stage, keyword, space < 0 ? "" : full[(space + 1)..].Trim()));
        }

        return instructions;
    }
}
