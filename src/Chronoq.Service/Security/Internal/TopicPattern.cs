namespace Chronoq.Service.Security.Internal;

/// <summary>
/// A topic name or a glob where <c>*</c> matches any run of characters (dots included, so
/// <c>orders.*</c> covers <c>orders.eu.created</c>). <c>*</c> is not a legal topic character, so
/// no escaping is needed.
/// </summary>
internal sealed class TopicPattern
{
    private readonly string[] _parts;

    private TopicPattern(string text)
    {
        Text = text;
        _parts = text.Split('*');
    }

    public string Text { get; }

    /// <summary>Whether the pattern is exactly <c>*</c>: every topic, present and future.</summary>
    public bool IsEverything => Text == "*";

    public static bool TryParse(string? text, out TopicPattern? pattern)
    {
        pattern = null;
        if (string.IsNullOrEmpty(text) || text.Length > 200)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/' or '*'))
            {
                return false;
            }
        }

        pattern = new TopicPattern(text);
        return true;
    }

    public bool Matches(string topic)
    {
        if (_parts.Length == 1)
        {
            return string.Equals(topic, Text, StringComparison.Ordinal);
        }

        var first = _parts[0];
        var last = _parts[^1];
        if (topic.Length < first.Length + last.Length
            || !topic.StartsWith(first, StringComparison.Ordinal)
            || !topic.EndsWith(last, StringComparison.Ordinal))
        {
            return false;
        }

        // Greedy left-to-right placement of the middle parts is enough for a glob with only '*'.
        var position = first.Length;
        var end = topic.Length - last.Length;
        for (var i = 1; i < _parts.Length - 1; i++)
        {
            var part = _parts[i];
            if (part.Length == 0)
            {
                continue;
            }

            var found = topic.AsSpan(position, end - position).IndexOf(part, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position += found + part.Length;
        }

        return true;
    }
}
