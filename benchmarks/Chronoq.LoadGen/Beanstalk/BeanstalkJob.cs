namespace Chronoq.LoadGen.Beanstalk;

/// <summary>A job handed out by beanstalkd's <c>reserve</c>: its id and its body.</summary>
public sealed record BeanstalkJob(ulong Id, byte[] Body);
