namespace Chronoq.LoadGen.Beanstalk;

/// <summary>
/// beanstalkd answered a command with something other than its success reply (BAD_FORMAT,
/// OUT_OF_MEMORY, NOT_FOUND for a delete, JOB_TOO_BIG, DRAINING, ...), or the connection broke.
/// </summary>
public sealed class BeanstalkException : Exception
{
    public BeanstalkException(string message)
        : base(message)
    {
    }

    public BeanstalkException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
