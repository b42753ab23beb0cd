using Chronoq.Protocol.Grpc;
using Chronoq.Protocol.V1;

namespace Chronoq.Sdk.Internal;

/// <summary>
/// The checks the server makes on a put that the client can make as well. A put that fails them
/// is refused before it joins a batch, so (PutBatch being all-or-nothing) it cannot fail the
/// batch its neighbours ride in.
/// </summary>
internal static class PutValidation
{
    // The contract: topic names are 1-200 characters of letters, digits and -_.:/
    private const int MaxTopicLength = 200;

    /// <summary>Null when the put is valid, else the status the server would have answered.</summary>
    public static RpcException? Check(PutRequest request)
    {
        if (TopicError(request.Topic, "topic") is { } topicError)
        {
            return topicError;
        }

        if (request.Delay is { } delay && (delay.Seconds < 0 || delay.Nanos < 0))
        {
            return new RpcException(StatusCode.InvalidArgument, "delay: must not be negative.");
        }

        if (request.Ttr is { } ttr && (ttr.Seconds < 0 || ttr.Nanos < 0))
        {
            return new RpcException(StatusCode.InvalidArgument, "ttr: must not be negative.");
        }

        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a topic name the server would refuse.</summary>
    public static void ThrowIfInvalidTopic(string topic, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(topic, parameterName);
        if (TopicError(topic, "topic") is { } error)
        {
            throw new ArgumentException(error.Detail, parameterName);
        }
    }

    private static RpcException? TopicError(string topic, string field)
    {
        if (topic.Length is 0 or > MaxTopicLength)
        {
            return new RpcException(StatusCode.InvalidArgument, $"{field}: must be 1-{MaxTopicLength} characters, not {topic.Length}.");
        }

        foreach (var c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/'))
            {
                return new RpcException(StatusCode.InvalidArgument, $"{field}: '{topic}' may hold only letters, digits and -_.:/");
            }
        }

        return null;
    }
}
