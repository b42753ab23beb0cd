namespace Chronoq.Core.Internal;

/// <summary>
/// Input validation shared by every operation, with messages naming the chronoq.v1 field
/// (<c>topic</c>, <c>topics[2]</c>, <c>jobs[3].ttr</c>, ...), so the gRPC layer only maps fields.
/// </summary>
internal static class RequestRules
{
    public const int MaxTopicLength = 200;
    public const long DefaultTtrMs = 60_000;
    public const long MinTtrMs = 1_000;

    private static bool IsTopicName(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > MaxTopicLength)
        {
            return false;
        }

        foreach (var c in topic)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    public static EngineStatus CheckTopic(string? topic, string field)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return EngineStatus.Invalid($"{field} is required");
        }

        if (topic.Length > MaxTopicLength)
        {
            return EngineStatus.Invalid($"{field} is longer than {MaxTopicLength} characters");
        }

        foreach (var c in topic)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or ':' or '/'))
            {
                return EngineStatus.Invalid($"{field} may hold only letters, digits and -_.:/");
            }
        }

        return EngineStatus.Ok;
    }

    public static EngineStatus CheckTopics(IReadOnlyList<string>? topics, string field, int maxTopics)
    {
        if (topics is null || topics.Count == 0)
        {
            return EngineStatus.Invalid($"{field} must name at least one topic");
        }

        if (topics.Count > maxTopics)
        {
            return EngineStatus.Invalid($"{field} names {topics.Count} topics, more than the limit of {maxTopics}");
        }

        for (var i = 0; i < topics.Count; i++)
        {
            if (!IsTopicName(topics[i]))
            {
                return CheckTopic(topics[i], $"{field}[{i}]");
            }
        }

        return EngineStatus.Ok;
    }

    /// <summary>A span in whole milliseconds, rounded up so a job is never early.</summary>
    public static long ToMs(TimeSpan span) => (span.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;

    public static EngineStatus CheckSpan(TimeSpan span, string field, TimeSpan max)
    {
        if (span < TimeSpan.Zero)
        {
            return EngineStatus.Invalid($"{field} must not be negative");
        }

        return span > max ? EngineStatus.Invalid($"{field} must be at most {max}") : EngineStatus.Ok;
    }

    /// <summary>The TTR in ms: unset = 60 s, below 1 s = 1 s.</summary>
    public static long TtrMs(TimeSpan? ttr)
    {
        if (ttr is null)
        {
            return DefaultTtrMs;
        }

        return Math.Max(MinTtrMs, ToMs(ttr.Value));
    }

    public static EngineStatus CheckPut(in JobSpec job, string prefix, EngineOptions options)
    {
        var status = CheckTopic(job.Topic, prefix + "topic");
        if (!status.IsOk)
        {
            return status;
        }

        if (job.Body.Length > options.MaxBodyBytes)
        {
            return EngineStatus.Exhausted($"{prefix}body is larger than {options.MaxBodyBytes} bytes");
        }

        if (job.Delay is not null && job.RunAt is not null)
        {
            return EngineStatus.Invalid($"{prefix}delay and {prefix}run_at are exclusive");
        }

        if (job.Delay is { } delay)
        {
            status = CheckSpan(delay, prefix + "delay", options.MaxDelay);
            if (!status.IsOk)
            {
                return status;
            }
        }

        if (job.Ttr is { } ttr)
        {
            if (ttr < TimeSpan.Zero)
            {
                return EngineStatus.Invalid($"{prefix}ttr must not be negative");
            }

            if (ToMs(ttr) > int.MaxValue)
            {
                return EngineStatus.Invalid($"{prefix}ttr must be at most {TimeSpan.FromMilliseconds(int.MaxValue)}");
            }
        }

        if (job.Key is { Length: > 0 } key)
        {
            if (key.Length > options.MaxKeyLength)
            {
                return EngineStatus.Invalid($"{prefix}key is longer than {options.MaxKeyLength} characters");
            }

            // U+0000 cannot be stored in a PostgreSQL text column: let through, it would fail the
            // whole group commit, and so every other caller's work in it, not just this request.
            if (key.Contains('\0', StringComparison.Ordinal))
            {
                return EngineStatus.Invalid($"{prefix}key must not contain the character U+0000");
            }
        }

        if (job.Headers is { } headers)
        {
            foreach (var header in headers)
            {
                if (string.IsNullOrEmpty(header.Key))
                {
                    return EngineStatus.Invalid($"{prefix}headers has an empty name");
                }

                // Same reason as for the key: headers are stored as jsonb, which has no U+0000.
                if (header.Key.Contains('\0', StringComparison.Ordinal) || header.Value.Contains('\0', StringComparison.Ordinal))
                {
                    return EngineStatus.Invalid($"{prefix}headers must not contain the character U+0000");
                }
            }
        }

        return EngineStatus.Ok;
    }
}
